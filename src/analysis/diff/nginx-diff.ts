/** Typed changes between two versions of an nginx config. */
import { type Change, change } from '../change.js';
import { appOf, FRAGMENT_KEY, type LocationFacts, type NginxFacts, nginxFacts, proxies, type ServerFacts } from '../facts/nginx-facts.js';
import { setDiff } from '../set-diff.js';

/** Protocols browsers and current nginx builds no longer accept as safe. */
const WEAK_PROTOCOLS = new Set(['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1']);

export function nginxDiff(oldData: unknown, newData: unknown): Change[] {
  const before = nginxFacts(oldData);
  const after = nginxFacts(newData);
  const changes: Change[] = [];
  const oldServers = new Map(withFragment(before).map((s) => [s.key, s]));
  const newServers = new Map(withFragment(after).map((s) => [s.key, s]));
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
  changes.push(...tlsChange(before, after), ...bypasses(before, after));
  return changes;
}

const withFragment = (facts: NginxFacts): ServerFacts[] => (facts.fragment ? [...facts.servers, facts.fragment] : [...facts.servers]);

/** A server is known by its first name; `_` (catch-all) when it has none. A fragment's servers are whoever includes it (the graph knows). */
const serviceOf = (s: ServerFacts): string | undefined => s.names[0] ?? (s.key === FRAGMENT_KEY ? undefined : '_');

/** The host names a server answers to, as the user wrote them (`_` for a catch-all). */
const hostsOf = (s: ServerFacts): string[] => (s.names.length > 0 ? [...s.names] : [s.key === FRAGMENT_KEY ? FRAGMENT_KEY : '_']);

function serverDiff(a: ServerFacts, b: ServerFacts): Change[] {
  const service = serviceOf(b);
  const server = b.key;
  const hosts = hostsOf(b);
  const out: Change[] = [];
  const listen = setDiff(a.listen, b.listen);
  if (listen.added.length || listen.removed.length) out.push(change('listen.changed', { server, ...listen }, service));
  if (a.ssl && !b.ssl) out.push(change('ssl.disabled', { server }, service));
  if (!a.ssl && b.ssl) out.push(change('ssl.enabled', { server }, service));
  if (a.proxyPass !== b.proxyPass) out.push(proxyChange(server, null, a.proxyPass, b.proxyPass, b.upstreamApp, hosts, service));
  out.push(...headerChange(server, null, a.headers, b.headers, service));
  const includes = setDiff(a.includes.filter((i) => !a.auth.includes(`include ${i}`)), b.includes.filter((i) => !b.auth.includes(`include ${i}`)));
  if (includes.added.length || includes.removed.length) out.push(change('include.changed', { server, ...includes }, service));

  const oldLocations = new Map(a.locations.map((l) => [l.path, l]));
  const newLocations = new Map(b.locations.map((l) => [l.path, l]));
  const paths = setDiff(oldLocations.keys(), newLocations.keys());
  if (paths.added.length || paths.removed.length) out.push(change('location.changed', { server, ...paths }, service));
  for (const [path, loc] of newLocations) {
    const old = oldLocations.get(path);
    if (old) out.push(...locationDiff(server, old, loc, hosts, service));
  }
  if (proxies(b)) {
    // Lost at server level, and not made up for in every proxying location.
    const exposed = setDiff(a.auth, b.auth).removed.filter(
      (m) => (b.proxyPass !== null && !b.auth.includes(m)) || b.locations.some((l) => l.proxyPass !== null && !l.auth.includes(m)),
    );
    if (exposed.length) out.push(change('auth.removed', { server, location: null, hosts, app: appOfServer(b), removed: exposed }, service));
  }
  const gained = setDiff(a.auth, b.auth).added;
  if (gained.length) out.push(change('auth.added', { server, location: null, hosts, added: gained }, service));
  return out;
}

function locationDiff(server: string, a: LocationFacts, b: LocationFacts, hosts: string[], service: string | undefined): Change[] {
  const out: Change[] = [];
  const location = b.path;
  if (a.proxyPass !== b.proxyPass) out.push(proxyChange(server, location, a.proxyPass, b.proxyPass, b.upstreamApp ?? a.upstreamApp, hosts, service));
  out.push(...headerChange(server, location, a.headers, b.headers, service));
  if (b.proxyPass !== null) {
    // Server-level losses are reported once by the server; here only what the location block itself had.
    const lost = a.ownAuth.filter((m) => !b.auth.includes(m));
    if (lost.length) out.push(change('auth.removed', { server, location, hosts, app: appOf(b.proxyPass, b.upstreamApp), removed: lost }, service));
  }
  const gained = b.ownAuth.filter((m) => !a.auth.includes(m));
  if (gained.length) out.push(change('auth.added', { server, location, hosts, added: gained }, service));
  return out;
}

function proxyChange(server: string, location: string | null, from: string | null, to: string | null, app: string | null, hosts: string[], service: string | undefined): Change {
  const target = to ?? from;
  return change('proxy_pass.changed', { server, location, hosts, app: target === null ? null : appOf(target, app), from, to }, service);
}

const appOfServer = (s: ServerFacts): string | null => {
  const target = s.proxyPass ?? s.locations.find((l) => l.proxyPass !== null)?.proxyPass ?? null;
  return target === null ? null : appOf(target, s.upstreamApp);
};

function headerChange(server: string, location: string | null, a: readonly string[], b: readonly string[], service: string | undefined): Change[] {
  const d = setDiff(a, b);
  return d.added.length || d.removed.length ? [change('header.changed', { server, location, ...d }, service)] : [];
}

function tlsChange(before: NginxFacts, after: NginxFacts): Change[] {
  const d = setDiff(before.sslProtocols, after.sslProtocols);
  if (!d.added.length && !d.removed.length) return [];
  const weakened = d.added.filter((p) => WEAK_PROTOCOLS.has(p));
  return [change(weakened.length ? 'tls.downgraded' : 'tls.changed', { ...d, weak: weakened })];
}

/** One way into an app: a server's or location's proxy target, and whether auth guards it. */
interface Route {
  readonly id: string;
  readonly app: string;
  readonly authed: boolean;
  readonly server: ServerFacts;
  readonly location: string | null;
}

/** A `*-server.conf` snippet only declares the auth endpoint; the check itself is in the location (`*-location.conf`, `auth_request`, `auth_basic`). */
const guards = (markers: readonly string[]): boolean => markers.some((m) => !/-server\.conf$/.test(m));

function routes(facts: NginxFacts): Route[] {
  return withFragment(facts).flatMap((s) => [
    ...(s.proxyPass === null ? [] : [{ id: `${s.key}\0`, app: appOf(s.proxyPass, s.upstreamApp), authed: guards(s.auth), server: s, location: null }]),
    ...s.locations.flatMap((l) =>
      l.proxyPass === null ? [] : [{ id: `${s.key}\0${l.path}`, app: appOf(l.proxyPass, l.upstreamApp), authed: guards(l.auth), server: s, location: l.path }],
    ),
  ]);
}

/**
 * New ways into an app that every old way guarded with auth: a new server or
 * location, or a target moved onto it, without auth. Routes that lost their
 * own auth are already `auth.removed`.
 */
function bypasses(before: NginxFacts, after: NginxFacts): Change[] {
  const old = routes(before);
  const oldById = new Map(old.map((r) => [r.id, r]));
  const guarded = new Set(old.filter((r) => r.authed).map((r) => r.app));
  for (const r of old) if (!r.authed) guarded.delete(r.app);
  const out: Change[] = [];
  for (const r of routes(after)) {
    const was = oldById.get(r.id);
    if (r.authed || !guarded.has(r.app) || was?.authed || (was && was.app === r.app)) continue;
    out.push(change('auth.bypassed', { server: r.server.key, location: r.location, hosts: hostsOf(r.server), app: r.app }, serviceOf(r.server)));
  }
  return out;
}
