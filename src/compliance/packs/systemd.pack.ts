/**
 * systemd service hardening rules, the options `systemd-analyze security`
 * weighs, over the systemd view (views.ts). They apply to `.service` units.
 */
import type { ComplianceRule, Severity } from '../rule.js';

const man = (option: string) => ({
  ref: `systemd-analyze security (${option}=)`,
  url: `https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html#${option}=`,
});

/** A boolean option that must be on. */
function enabled(option: string, severity: Severity, remediation?: string): ComplianceRule {
  return {
    id: `systemd.${option.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`,
    title: `${option}= is enabled`,
    severity,
    configType: 'systemd',
    when: "type == 'service'",
    check: `'${option}' in on ? [] : ['${option}= is ' + ('${option}' in service ? service.${option} : 'not set')]`,
    remediation: remediation ?? `Add \`${option}=yes\` to the [Service] section.`,
    source: man(option),
  };
}

/** An option that must be set to one of `allowed` (or, with none, set at all). */
function valued(option: string, allowed: readonly string[], severity: Severity, remediation: string): ComplianceRule {
  const list = allowed.map((a) => `'${a}'`).join(', ');
  return {
    id: `systemd.${option.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}`,
    title: allowed.length > 0 ? `${option}= is ${allowed.join(' or ')}` : `${option}= is set`,
    severity,
    configType: 'systemd',
    when: "type == 'service'",
    check:
      allowed.length > 0
        ? `'${option}' in service && service.${option} in [${list}] ? [] : ['${option}= is ' + ('${option}' in service ? service.${option} : 'not set')]`
        : `'${option}' in service && service.${option} != '' ? [] : ['${option}= is not set']`,
    remediation,
    source: man(option),
  };
}

export const SYSTEMD_PACK: readonly ComplianceRule[] = [
  enabled('NoNewPrivileges', 'high'),
  enabled('PrivateTmp', 'medium'),
  valued('ProtectSystem', ['strict', 'full'], 'medium', 'Set `ProtectSystem=strict` and list writable paths in `ReadWritePaths=`.'),
  valued('ProtectHome', ['yes', 'read-only', 'tmpfs'], 'medium', 'Set `ProtectHome=yes` (or `read-only`).'),
  enabled('PrivateDevices', 'medium'),
  enabled('ProtectKernelTunables', 'medium'),
  enabled('ProtectKernelModules', 'medium'),
  enabled('ProtectKernelLogs', 'low'),
  enabled('ProtectControlGroups', 'low'),
  enabled('ProtectClock', 'low'),
  enabled('ProtectHostname', 'low'),
  valued('CapabilityBoundingSet', [], 'medium', 'Set `CapabilityBoundingSet=` to the capabilities the service needs (empty for none).'),
  valued('RestrictAddressFamilies', [], 'medium', 'Set `RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6` (only what the service uses).'),
  enabled('RestrictNamespaces', 'medium'),
  valued('SystemCallFilter', [], 'medium', 'Set `SystemCallFilter=@system-service`.'),
  enabled('MemoryDenyWriteExecute', 'medium'),
  enabled('LockPersonality', 'low'),
  enabled('RestrictRealtime', 'low'),
  enabled('RestrictSUIDSGID', 'low'),
  {
    id: 'systemd.non-root-user',
    title: 'The service runs as an unprivileged user',
    severity: 'high',
    configType: 'systemd',
    when: "type == 'service'",
    check: `'DynamicUser' in on || ('User' in service && !(service.User in ['root', '0'])) ? [] : ['the service runs as ' + ('User' in service ? service.User : 'root (no User=)')]`,
    remediation: 'Set `User=` to a dedicated account, or `DynamicUser=yes`.',
    source: man('User'),
  },
];
