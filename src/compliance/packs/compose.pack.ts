/**
 * Docker Compose rules over the compose view (views.ts): one violation per
 * offending service, at the service's line.
 */
import type { ComplianceRule, RuleSource, Severity } from '../rule.js';

const BENCH = 'https://github.com/docker/docker-bench-security/blob/master/tests/5_container_runtime.sh';
const bench = (check: string, title: string): RuleSource => ({ ref: `docker-bench-security ${check} (${title})`, url: BENCH });

/** A rule failing for each service matching `bad`, with `why` as its message tail. */
function perService(id: string, title: string, severity: Severity, bad: string, why: string, remediation: string, source: RuleSource, fix?: ComplianceRule['fix']): ComplianceRule {
  return {
    id: `compose.${id}`,
    title,
    severity,
    configType: 'compose',
    check: `services.filter(s, ${bad}).map(s, {'line': s.line, 'message': 'service ' + s.name + ${why}})`,
    remediation,
    source,
    ...(fix ? { fix } : {}),
  };
}

const SENSITIVE = `'^/(|etc|boot|dev|lib|lib64|proc|sys|usr|bin|sbin|root|var/lib/docker)/?$'`;

export const COMPOSE_PACK: readonly ComplianceRule[] = [
  perService('privileged', 'Containers are not privileged', 'critical', 's.privileged', "' runs privileged'", 'Remove `privileged: true`; grant the single capability needed with `cap_add`.', bench('check_5_4', 'privileged containers'), { kind: 'compose-drop', key: 'privileged' }),
  perService('docker-socket', 'The Docker socket is not mounted', 'critical', "s.volumes.exists(v, v.source.endsWith('docker.sock'))", "' mounts the Docker socket'", 'Remove the docker.sock mount, or put a filtering socket proxy in front of it.', bench('check_5_31', 'Docker socket not mounted')),
  perService('cap-add', 'No broad capabilities are added', 'high', "s.capAdd.exists(c, c in ['ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_PTRACE', 'SYS_RAWIO', 'DAC_READ_SEARCH'])", "' adds ' + s.capAdd.join(',')", 'Drop ALL/SYS_ADMIN and similar from `cap_add`; add only the narrow capability needed.', bench('check_5_3', 'capabilities restricted')),
  perService('host-network', "The host's network namespace is not shared", 'high', "s.networkMode == 'host'", "' uses network_mode: host'", 'Use a bridge network and publish only the ports needed.', bench('check_5_9', 'host network namespace')),
  perService('host-pid', "The host's process namespace is not shared", 'high', "s.pid == 'host'", "' uses pid: host'", 'Remove `pid: host`.', bench('check_5_15', 'host process namespace')),
  perService('host-ipc', "The host's IPC namespace is not shared", 'high', "s.ipc == 'host'", "' uses ipc: host'", 'Remove `ipc: host`.', bench('check_5_16', 'host IPC namespace')),
  perService('host-userns', "The host's user namespace is not shared", 'medium', "s.usernsMode == 'host'", "' uses userns_mode: host'", 'Remove `userns_mode: host`.', bench('check_5_30', 'host user namespaces')),
  perService('sensitive-mounts', 'Sensitive host directories are not mounted', 'high', `s.volumes.exists(v, v.type == 'bind' && v.source.matches(${SENSITIVE}))`, "' mounts a sensitive host directory'", 'Mount only the application directories the container needs, read-only where possible.', bench('check_5_5', 'sensitive host system directories')),
  perService('no-new-privileges', 'Containers cannot gain new privileges', 'medium', "!s.securityOpt.exists(o, o == 'no-new-privileges:true' || o == 'no-new-privileges')", "' lacks security_opt no-new-privileges:true'", 'Add `security_opt: ["no-new-privileges:true"]`.', bench('check_5_25', 'restricted from acquiring additional privileges')),
  perService('seccomp-unconfined', 'The seccomp profile is not disabled', 'high', "s.securityOpt.exists(o, o == 'seccomp:unconfined')", "' runs with seccomp:unconfined'", 'Remove `seccomp:unconfined` (or use a custom profile).', bench('check_5_21', 'default seccomp profile not disabled')),
  perService('apparmor-unconfined', 'The AppArmor profile is not disabled', 'medium', "s.securityOpt.exists(o, o == 'apparmor:unconfined')", "' runs with apparmor:unconfined'", 'Remove `apparmor:unconfined`.', bench('check_5_1', 'AppArmor profile enabled')),
  perService('memory-limit', 'Memory is limited', 'low', "s.memLimit == ''", "' has no memory limit'", 'Set `mem_limit` (or `deploy.resources.limits.memory`).', bench('check_5_10', 'memory usage limited')),
  perService('pids-limit', 'The number of processes is limited', 'low', "s.pidsLimit == ''", "' has no pids limit'", 'Set `pids_limit` (e.g. 200).', bench('check_5_28', 'PIDs cgroup limit')),
  perService('ports-all-interfaces', 'Published ports are bound to one interface', 'medium', "s.ports.exists(p, p.published != '' && (p.hostIp == '' || p.hostIp == '0.0.0.0' || p.hostIp == '::'))", "' publishes ' + s.ports.filter(p, p.hostIp == '' || p.hostIp == '0.0.0.0' || p.hostIp == '::').map(p, p.published).join(',') + ' on all interfaces'", 'Bind published ports to an address, e.g. `"127.0.0.1:8080:80"`.', bench('check_5_13', 'traffic bound to a specific host interface')),
  perService('healthcheck', 'Container health is checked', 'low', "s.healthcheck != 'set'", "' has no healthcheck'", 'Add a `healthcheck` (or rely on one in the image and say so with a waiver).', bench('check_5_26', 'container health checked at runtime')),
  perService('image-tag', 'Images are pinned to a version', 'medium', "s.tag == '' || s.tag == 'latest'", "' uses ' + (s.tag == '' ? s.image + ' without a tag' : s.image)", 'Pin the image to a version tag or a digest.', { ref: 'KICS Image Version Using latest / Image Version Not Explicit', url: 'https://docs.kics.io/latest/queries/dockercompose-queries/' }),
  perService('devices', 'Host devices are not exposed', 'medium', 'size(s.devices) > 0', "' maps host devices ' + s.devices.join(',')", 'Remove `devices` unless the device is required, and then map only that device.', bench('check_5_17', 'host devices not directly exposed')),
  perService('secrets-in-environment', 'Secrets are not set in plain environment', 'high', 'size(s.secretKeys) > 0', "' sets ' + s.secretKeys.join(',') + ' in plain environment'", 'Use compose `secrets` (or a `_FILE` variable pointing at /run/secrets/…) instead of the value.', { ref: 'KICS Passwords And Secrets', url: 'https://docs.kics.io/latest/queries/common-queries/' }),
];
