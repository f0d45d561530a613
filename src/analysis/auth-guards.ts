/**
 * Which proxied host names guard a compose service with authentication, read
 * from the device's dependency graph: an nginx server that proxies to the
 * service (through its upstream, container or service name) and includes an
 * auth snippet. Publishing such a service's port on every interface, or
 * giving it the host's network, opens the app without that authentication.
 */
import type { DependencyGraph } from '../store/graph-queries.js';
import type { Change } from './change.js';
import { isAuthInclude } from './facts/nginx-facts.js';
import { composeServiceId } from './node-naming.js';

/** Host names (nginx `server_name`s) that put authentication in front of a compose service. */
export function guardingHosts(graph: DependencyGraph, composePath: string, service: string): string[] {
  const serviceId = composeServiceId(composePath, service);
  const targets = new Set([serviceId, ...graph.edges.filter((e) => e.kind === 'container_of' && e.to === serviceId).map((e) => e.from)]);
  const upstreams = new Set(graph.edges.filter((e) => e.kind === 'resolves_to' && targets.has(e.to)).map((e) => e.from));
  const servers = new Set(graph.edges.filter((e) => e.kind === 'proxies_to' && upstreams.has(e.to)).map((e) => e.from));
  const guarded = graph.edges.filter((e) => e.kind === 'includes' && servers.has(e.from) && isAuthInclude(e.to)).map((e) => e.from);
  return [...new Set(guarded)].flatMap((id) => graph.find(id).map((n) => n.name));
}

/** A change that makes a compose service reachable around the proxy. */
const opensService = (c: Change): boolean =>
  (c.kind === 'port.added' && c.detail.allInterfaces === true) || (c.kind === 'network_mode.changed' && c.detail.to === 'host');

/** Adds `guardedBy` (the host names whose authentication is bypassed) to compose changes that open a guarded service. */
export function withAuthGuards(changes: readonly Change[], graph: DependencyGraph | undefined, composePath: string): Change[] {
  if (!graph) return [...changes];
  return changes.map((c) => {
    if (!c.service || !opensService(c)) return c;
    const hosts = guardingHosts(graph, composePath, c.service);
    return hosts.length === 0 ? c : { ...c, detail: { ...c.detail, guardedBy: hosts } };
  });
}
