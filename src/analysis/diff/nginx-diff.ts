/** Typed changes between two versions of an nginx config. */
import { type Change, change } from '../change.js';
import { type LocationFacts, nginxFacts, proxies, type ServerFacts } from '../facts/nginx-facts.js';
import { setDiff } from '../set-diff.js';

export function nginxDiff(oldData: unknown, newData: unknown): Change[] {
  const before = nginxFacts(oldData);
  const after = nginxFacts(newData);
  const changes: Change[] = [];
  const oldServers = new Map(before.servers.map((s) => [s.key, s]));
  const newServers = new Map(after.servers.map((s) => [s.key, s]));
  for (const [key, s] of oldServers) if (!newServers.has(key)) changes.push(change('server.removed', { server: key }, serviceOf(s)));
  for (const [key, s] of newServers) {
    const old = oldServers.get(key);
    if (!old) changes.push(change('server.added', { server: key, listen: s.listen, ssl: s.ssl }, serviceOf(s)));
    else changes.push(...serverDiff(old, s));
  }
  for (const name of new Set([...Object.keys(before.upstreams), ...Object.keys(after.upstreams)])) {
    const d = setDiff(before.upstreams[name] ?? [], after.upstreams[name] ?? []);
    if (d.added.length || d.removed.length) changes.push(change('upstream.server.changed', { upstream: name, ...d }));
  }
  return changes;
}

/** A server is known by its first name; `_` (catch-all) when it has none. */
const serviceOf = (s: ServerFacts): string => s.names[0] ?? '_';

function serverDiff(a: ServerFacts, b: ServerFacts): Change[] {
  const service = serviceOf(b);
  const server = b.key;
  const out: Change[] = [];
  const listen = setDiff(a.listen, b.listen);
  if (listen.added.length || listen.removed.length) out.push(change('listen.changed', { server, ...listen }, service));
  if (a.ssl && !b.ssl) out.push(change('ssl.disabled', { server }, service));
  if (!a.ssl && b.ssl) out.push(change('ssl.enabled', { server }, service));
  if (a.proxyPass !== b.proxyPass) out.push(change('proxy_pass.changed', { server, location: null, from: a.proxyPass, to: b.proxyPass }, service));
  out.push(...headerChange(server, null, a.headers, b.headers, service));

  const oldLocations = new Map(a.locations.map((l) => [l.path, l]));
  const newLocations = new Map(b.locations.map((l) => [l.path, l]));
  const paths = setDiff(oldLocations.keys(), newLocations.keys());
  if (paths.added.length || paths.removed.length) out.push(change('location.changed', { server, ...paths }, service));
  for (const [path, loc] of newLocations) {
    const old = oldLocations.get(path);
    if (old) out.push(...locationDiff(server, old, loc, service));
  }
  if (proxies(b)) {
    // Lost at server level, and not made up for in every proxying location.
    const exposed = setDiff(a.auth, b.auth).removed.filter(
      (m) => (b.proxyPass !== null && !b.auth.includes(m)) || b.locations.some((l) => l.proxyPass !== null && !l.auth.includes(m)),
    );
    if (exposed.length) out.push(change('auth.removed', { server, location: null, removed: exposed }, service));
  }
  return out;
}

function locationDiff(server: string, a: LocationFacts, b: LocationFacts, service: string): Change[] {
  const out: Change[] = [];
  const location = b.path;
  if (a.proxyPass !== b.proxyPass) out.push(change('proxy_pass.changed', { server, location, from: a.proxyPass, to: b.proxyPass }, service));
  out.push(...headerChange(server, location, a.headers, b.headers, service));
  if (b.proxyPass !== null) {
    // Server-level losses are reported once by the server; here only what the location block itself had.
    const lost = a.ownAuth.filter((m) => !b.auth.includes(m));
    if (lost.length) out.push(change('auth.removed', { server, location, removed: lost }, service));
  }
  return out;
}

function headerChange(server: string, location: string | null, a: readonly string[], b: readonly string[], service: string): Change[] {
  const d = setDiff(a, b);
  return d.added.length || d.removed.length ? [change('header.changed', { server, location, ...d }, service)] : [];
}
