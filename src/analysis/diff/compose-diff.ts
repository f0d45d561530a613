/** Typed changes between two versions of a compose file. */
import { type Change, change } from '../change.js';
import {
  type ComposeServiceFacts,
  composeFacts,
  isDockerSocket,
  isPublicPort,
  portKey,
  volumeKey,
} from '../facts/compose-facts.js';
import { changedKeys, setDiff } from '../set-diff.js';

export function composeDiff(oldData: unknown, newData: unknown): Change[] {
  const before = composeFacts(oldData).services;
  const after = composeFacts(newData).services;
  const changes: Change[] = [];
  for (const name of Object.keys(before)) if (!after[name]) changes.push(change('service.removed', { service: name }, name));
  for (const [name, service] of Object.entries(after)) {
    const old = before[name];
    if (!old) {
      changes.push(change('service.added', { service: name, image: service.image }, name));
      changes.push(...riskyFacts(service));
    } else changes.push(...serviceDiff(old, service));
  }
  return changes;
}

/** What a new service brings that the rules judge on their own: public ports, privileges, the Docker socket. */
function riskyFacts(s: ComposeServiceFacts): Change[] {
  const out: Change[] = s.ports.map((p) => change('port.added', { port: portKey(p), allInterfaces: isPublicPort(p) }, s.name));
  if (s.privileged) out.push(change('privileged.enabled', {}, s.name));
  for (const v of s.volumes.filter(isDockerSocket)) out.push(change('docker_socket.mounted', { source: v.source, readOnly: v.readOnly }, s.name));
  return out;
}

function serviceDiff(a: ComposeServiceFacts, b: ComposeServiceFacts): Change[] {
  const name = b.name;
  const out: Change[] = [];
  if (a.image !== b.image) out.push(change('image.changed', { from: a.image, to: b.image }, name));

  const portsBefore = new Map(a.ports.map((p) => [portKey(p), p]));
  const portsAfter = new Map(b.ports.map((p) => [portKey(p), p]));
  const ports = setDiff(portsBefore.keys(), portsAfter.keys());
  for (const key of ports.added) out.push(change('port.added', { port: key, allInterfaces: isPublicPort(portsAfter.get(key)!) }, name));
  for (const key of ports.removed) out.push(change('port.removed', { port: key }, name));

  for (const { key, change: how } of changedKeys(a.environment, b.environment)) out.push(change('env.changed', { key, change: how }, name));

  const volumesBefore = new Map(a.volumes.map((v) => [volumeKey(v), v]));
  const volumesAfter = new Map(b.volumes.map((v) => [volumeKey(v), v]));
  const volumes = setDiff(volumesBefore.keys(), volumesAfter.keys());
  for (const key of volumes.added) {
    const v = volumesAfter.get(key)!;
    out.push(change('volume.added', { source: v.source, target: v.target, type: v.type, readOnly: v.readOnly }, name));
    if (isDockerSocket(v)) out.push(change('docker_socket.mounted', { source: v.source, readOnly: v.readOnly }, name));
  }
  for (const key of volumes.removed) {
    const v = volumesBefore.get(key)!;
    out.push(change('volume.removed', { source: v.source, target: v.target, type: v.type }, name));
  }

  if (!a.privileged && b.privileged) out.push(change('privileged.enabled', {}, name));
  if (a.privileged && !b.privileged) out.push(change('privileged.disabled', {}, name));

  const listChange = (kind: string, x: readonly string[], y: readonly string[]) => {
    const d = setDiff(x, y);
    if (d.added.length || d.removed.length) out.push(change(kind, d, name));
  };
  listChange('depends_on.changed', a.dependsOn, b.dependsOn);
  listChange('links.changed', a.links, b.links);
  listChange('volumes_from.changed', a.volumesFrom, b.volumesFrom);
  listChange('cap_add.changed', a.capAdd, b.capAdd);

  const valueChange = (kind: string, from: string | null, to: string | null) => {
    if (from !== to) out.push(change(kind, { from, to }, name));
  };
  valueChange('network_mode.changed', a.networkMode, b.networkMode);
  valueChange('container_name.changed', a.containerName, b.containerName);
  valueChange('user.changed', a.user, b.user);
  valueChange('restart.changed', a.restart, b.restart);
  return out;
}
