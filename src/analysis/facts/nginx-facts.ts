/**
 * A normalised view of an nginx config, derived from crossplane's directive
 * tree (`{directive, args, block?, includes?}`), which is the stable part of
 * the nginx parser's output. Includes resolved by a multi-file parse are
 * followed; SWAG's `set $upstream_app …` variables are substituted into
 * `proxy_pass`.
 */
import { asArray, asRecord, isRecord } from '../loose-data.js';

export interface Directive {
  readonly directive: string;
  readonly args: readonly string[];
  readonly block?: readonly Directive[];
  /** Indexes into the multi-file payload's `config` list. */
  readonly includes?: readonly number[];
}

export interface LocationFacts {
  /** The location's arguments joined, e.g. `/` or `~ ^/api`. */
  readonly path: string;
  /** `proxy_pass` (or fastcgi/grpc/uwsgi pass) with known variables substituted; null when it does not proxy. */
  readonly proxyPass: string | null;
  /** Auth markers in effect here, the server's included (see `authMarkers`). */
  readonly auth: readonly string[];
  /** Auth markers set in the location block itself. */
  readonly ownAuth: readonly string[];
  /** `add_header`/`proxy_set_header`/… lines set in this location. */
  readonly headers: readonly string[];
  /** `set $upstream_app` target, when the SWAG convention is used. */
  readonly upstreamApp: string | null;
}

export interface ServerFacts {
  /** Identity across versions: the server names, then an ordinal when several servers share them. */
  readonly key: string;
  readonly names: readonly string[];
  readonly listen: readonly string[];
  readonly ssl: boolean;
  readonly locations: readonly LocationFacts[];
  /** A server-level `proxy_pass` (stream servers), as for locations. */
  readonly proxyPass: string | null;
  readonly auth: readonly string[];
  readonly headers: readonly string[];
  readonly includes: readonly string[];
  readonly upstreamApp: string | null;
}

export interface NginxFacts {
  readonly servers: readonly ServerFacts[];
  /** Upstream block name → its `server` addresses. */
  readonly upstreams: Readonly<Record<string, readonly string[]>>;
  /** Every `include` argument anywhere in the file. */
  readonly includes: readonly string[];
  /**
   * Locations outside any server (a snippet included into servers, like SWAG's
   * `*.subfolder.conf`), as one nameless server; null when there are none.
   */
  readonly fragment: ServerFacts | null;
  /** Every protocol named by an `ssl_protocols` anywhere in the file (a shared `ssl.conf` sets them outside servers). */
  readonly sslProtocols: readonly string[];
}

/** The key of `NginxFacts.fragment`: no server of its own, it is part of every server that includes the file. */
export const FRAGMENT_KEY = '(servers including this file)';

const PASS_DIRECTIVES = ['proxy_pass', 'fastcgi_pass', 'grpc_pass', 'uwsgi_pass', 'scgi_pass'];
const HEADER_DIRECTIVES = ['add_header', 'proxy_set_header', 'more_set_headers', 'proxy_hide_header'];
/** Snippets of the usual SSO/auth integrations (SWAG ships authelia-, authentik-, ldap-, tinyauth-*.conf). */
const AUTH_INCLUDE = /(authelia|authentik|ldap|tinyauth|oauth2)[^/]*$/i;

/** An include of an auth snippet (the argument or a resolved path). */
export const isAuthInclude = (path: string): boolean => AUTH_INCLUDE.test(path);

/** Finds the directive tree in nginx parser data, a crossplane payload or a bare list. */
export function directiveTree(data: unknown): Directive[] {
  if (Array.isArray(data)) return data.filter(isDirective);
  const root = asRecord(data);
  const payload = isRecord(root.payload) ? root.payload : root;
  if (Array.isArray(payload.parsed)) return payload.parsed.filter(isDirective);
  const configs = asArray(payload.config).map(asRecord);
  if (configs.length === 0) return [];
  const files = configs.map((c) => asArray(c.parsed).filter(isDirective));
  return inlineIncludes(files[0]!, files, new Set([0]));
}

const isDirective = (v: unknown): v is Directive => isRecord(v) && typeof v.directive === 'string' && Array.isArray(v.args);

/** Replaces resolved includes by the directives of the included files (include kept, cycles cut). */
function inlineIncludes(tree: readonly Directive[], files: readonly Directive[][], seen: Set<number>): Directive[] {
  return tree.flatMap((d) => {
    const block = d.block ? { block: inlineIncludes(d.block, files, seen) } : {};
    const self: Directive = { directive: d.directive, args: d.args, ...block };
    if (d.directive !== 'include' || !d.includes) return [self];
    const included = d.includes.filter((i) => !seen.has(i) && files[i]).flatMap((i) => inlineIncludes(files[i]!, files, new Set([...seen, i])));
    return [self, ...included];
  });
}

export function nginxFacts(data: unknown): NginxFacts {
  const tree = directiveTree(data);
  const servers: ServerFacts[] = [];
  const upstreams: Record<string, string[]> = {};
  const includes: string[] = [];
  const sslProtocols = new Set<string>();
  const walk = (list: readonly Directive[]) => {
    for (const d of list) {
      if (d.directive === 'include') includes.push(...d.args);
      if (d.directive === 'ssl_protocols') for (const p of d.args) sslProtocols.add(p);
      if (d.directive === 'server' && d.block) servers.push(serverFacts(d.block, servers));
      else if (d.directive === 'upstream' && d.block) {
        upstreams[d.args[0] ?? ''] = d.block.filter((s) => s.directive === 'server').map((s) => s.args[0] ?? '');
      }
      if (d.block && d.directive !== 'server') walk(d.block);
      else if (d.block) for (const x of d.block) if (x.directive === 'ssl_protocols') for (const p of x.args) sslProtocols.add(p);
    }
  };
  walk(tree);
  const loose = tree.filter((d) => d.directive !== 'server' && d.directive !== 'http');
  const fragment = loose.some((d) => d.directive === 'location') ? { ...serverFacts(loose, []), key: FRAGMENT_KEY } : null;
  return { servers, upstreams, includes, fragment, sslProtocols: [...sslProtocols] };
}

function serverFacts(block: readonly Directive[], earlier: readonly ServerFacts[]): ServerFacts {
  const names = block.filter((d) => d.directive === 'server_name').flatMap((d) => d.args);
  const listen = block.filter((d) => d.directive === 'listen').map((d) => d.args.join(' '));
  const ssl =
    listen.some((l) => /(^|\s)(ssl|quic)(\s|$)/.test(l)) || block.some((d) => d.directive === 'ssl' && d.args[0] === 'on');
  const vars = variables(block, {});
  const auth = authMarkers(block);
  const base = names.join(' ') || '_';
  const ordinal = earlier.filter((s) => s.names.join(' ') === names.join(' ')).length;
  const locations: LocationFacts[] = [];
  const collectLocations = (list: readonly Directive[], inherited: Record<string, string>) => {
    for (const d of list.filter((x) => x.directive === 'location' && x.block)) {
      const scope = variables(d.block!, inherited);
      const ownAuth = authMarkers(d.block!);
      locations.push({
        path: d.args.join(' '),
        proxyPass: passTarget(d.block!, scope),
        auth: [...new Set([...auth, ...ownAuth])],
        ownAuth,
        headers: headerLines(d.block!),
        upstreamApp: scope.upstream_app ?? null,
      });
      collectLocations(d.block!, scope);
    }
  };
  collectLocations(block, vars);
  return {
    key: ordinal === 0 ? base : `${base}#${ordinal + 1}`,
    names,
    listen,
    ssl,
    locations,
    proxyPass: passTarget(block, vars),
    auth,
    headers: headerLines(block),
    includes: block.filter((d) => d.directive === 'include').flatMap((d) => d.args),
    upstreamApp: vars.upstream_app ?? locations.find((l) => l.upstreamApp)?.upstreamApp ?? null,
  };
}

/** `set $name value;` in a block, over the enclosing scope's. */
function variables(block: readonly Directive[], inherited: Record<string, string>): Record<string, string> {
  const out = { ...inherited };
  for (const d of block) if (d.directive === 'set' && d.args[0]?.startsWith('$') && d.args[1] !== undefined) out[d.args[0].slice(1)] = d.args[1];
  return out;
}

function passTarget(block: readonly Directive[], vars: Record<string, string>): string | null {
  const pass = block.find((d) => PASS_DIRECTIVES.includes(d.directive));
  const target = pass?.args[0];
  if (target === undefined) return null;
  return target.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => vars[name] ?? whole);
}

/**
 * What protects a block: `auth_request URI`, `auth_basic REALM` (not `off`)
 * and includes of authelia/authentik/ldap-style snippets.
 */
export function authMarkers(block: readonly Directive[]): string[] {
  const markers: string[] = [];
  for (const d of block) {
    if ((d.directive === 'auth_request' || d.directive === 'auth_basic') && d.args[0] !== undefined && d.args[0] !== 'off') {
      markers.push(`${d.directive} ${d.args[0]}`);
    }
    if (d.directive === 'include') for (const a of d.args) if (AUTH_INCLUDE.test(a)) markers.push(`include ${a}`);
  }
  return markers;
}

const headerLines = (block: readonly Directive[]): string[] =>
  block.filter((d) => HEADER_DIRECTIVES.includes(d.directive)).map((d) => `${d.directive} ${d.args.join(' ')}`);

/** Host part of a pass target: `http://web:8080/x` → `web`, `unix:/…` → undefined. */
export function passHost(target: string): string | undefined {
  const m = target.match(/^[a-z]+:\/\/(\[[^\]]+\]|[^/:$]+)/i);
  return m?.[1];
}

/** The app a pass target reaches: SWAG's `$upstream_app` when set, else the target's host, else the target. */
export const appOf = (target: string, upstreamApp: string | null): string => upstreamApp ?? passHost(target) ?? target;

/** Servers that pass requests on, i.e. sites a missing auth exposes. */
export const proxies = (s: ServerFacts): boolean => s.proxyPass !== null || s.locations.some((l) => l.proxyPass !== null);
