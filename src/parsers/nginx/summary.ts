import type { NginxFilePayload, NginxStatement } from './payload.js';

/** How a site or location is protected, as far as the config shows. */
export type NginxAuthKind = 'authelia' | 'authentik' | 'ldap' | 'tinyauth' | 'auth_request' | 'auth_basic';

/** The service SWAG's `set $upstream_app/_port/_proto` convention points at. */
export interface UpstreamTarget {
  /** `$upstream_app`: a container or host name. */
  readonly app: string;
  /** `$upstream_port` as a number; null when unset or not numeric. */
  readonly port: number | null;
  /** `$upstream_proto` (`http`, `https`); null when unset. */
  readonly proto: string | null;
}

export interface NginxLocationSummary {
  /** The location's arguments joined by a space, e.g. `~ ^/api` or `/`. */
  readonly path: string;
  /** File (as named in the payload) and 1-based line of the `location` directive. */
  readonly file: string;
  readonly line: number;
  /** The `proxy_pass` URL as written; null when the location does not proxy. */
  readonly proxyPass: string | null;
  /** Authentication configured in this location (includes followed when known). */
  readonly auth: readonly NginxAuthKind[];
  /** The SWAG target, from this location's `set`s over its server's; null when none. */
  readonly target: UpstreamTarget | null;
}

export interface NginxServerSummary {
  readonly file: string;
  readonly line: number;
  /** Each `listen` directive's arguments joined by a space, e.g. `443 ssl`. */
  readonly listen: readonly string[];
  /** All `server_name` values in order. */
  readonly serverNames: readonly string[];
  /** True when a listen socket has `ssl` (or `quic`), or `ssl on` is set. */
  readonly ssl: boolean;
  /** Authentication configured at server level. */
  readonly auth: readonly NginxAuthKind[];
  /** The SWAG target set at server level; null when none. */
  readonly target: UpstreamTarget | null;
  /** Locations, nested ones included, in file order. */
  readonly locations: readonly NginxLocationSummary[];
}

export interface NginxUpstreamSummary {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  /** Each `server` entry's address (first argument). */
  readonly servers: readonly string[];
}

export interface NginxIncludeSummary {
  /** The include argument as written. */
  readonly path: string;
  readonly file: string;
  readonly line: number;
  /** Files it resolved to (multi-file parse only); empty when unknown. */
  readonly resolved: readonly string[];
}

/** What a config means for the services behind it. */
export interface NginxSummary {
  readonly servers: readonly NginxServerSummary[];
  /** Locations outside any server block, as in fragments such as SWAG subfolder confs. */
  readonly locations: readonly NginxLocationSummary[];
  readonly upstreams: readonly NginxUpstreamSummary[];
  readonly includes: readonly NginxIncludeSummary[];
}

/** A statement, the file it came from, and the include chain that led there. */
interface Located {
  readonly stmt: NginxStatement;
  readonly file: string;
  readonly chain: ReadonlySet<number>;
}

const AUTH_INCLUDE = /(authelia|authentik|ldap|tinyauth)/i;

/**
 * Summarises parsed files, starting from the first (the main file) and
 * reading included files in place of their `include` directive. Each
 * included file is entered at most once per include chain, so include
 * cycles end.
 */
export function summarizeNginx(files: readonly NginxFilePayload[]): NginxSummary {
  const servers: NginxServerSummary[] = [];
  const locations: NginxLocationSummary[] = [];
  const upstreams: NginxUpstreamSummary[] = [];
  const includes: NginxIncludeSummary[] = [];
  const main = files[0];
  if (!main) return { servers, locations, upstreams, includes };

  // Expands includes in place; records each include once as it is met. Where
  // only blocks matter (main level, http, stream), other statements are not
  // kept: in a large flat file they would be millions of short-lived objects.
  const expand = (stmts: readonly NginxStatement[], file: string, chain: ReadonlySet<number>, blocksOnly = false): Located[] => {
    const out: Located[] = [];
    for (const stmt of stmts) {
      if (!blocksOnly || stmt.block) out.push({ stmt, file, chain });
      if (stmt.directive !== 'include') continue;
      const resolved = (stmt.includes ?? []).map((i) => files[i]).filter((f) => f !== undefined);
      includes.push({ path: stmt.args[0] ?? '', file, line: stmt.line, resolved: resolved.map((f) => f.file) });
      for (const index of stmt.includes ?? []) {
        const included = files[index];
        if (!included || chain.has(index)) continue;
        appendAll(out, expand(included.parsed, included.file, new Set([...chain, index]), blocksOnly));
      }
    }
    return out;
  };
  const expandBlock = (located: Located): Located[] => expand(located.stmt.block ?? [], located.file, located.chain);

  // A stack holding statements in reverse keeps file order without recursion.
  const pending = expand(main.parsed, main.file, new Set([0]), true).reverse();
  const topLocations: Located[] = [];
  while (pending.length > 0) {
    const located = pending.pop()!;
    const { directive, block } = located.stmt;
    if (!block) continue;
    if (directive === 'http' || directive === 'stream') appendAll(pending, expand(block, located.file, located.chain, true).reverse());
    else if (directive === 'server') servers.push(summarizeServer(located, expandBlock));
    else if (directive === 'upstream') upstreams.push(summarizeUpstream(located, expandBlock(located)));
    else if (directive === 'location') topLocations.push(located);
  }
  appendAll(locations, summarizeLocations(topLocations, new Map(), expandBlock));
  return { servers, locations, upstreams, includes };
}

function summarizeUpstream({ stmt, file }: Located, body: readonly Located[]): NginxUpstreamSummary {
  const servers = body.filter(({ stmt: s }) => s.directive === 'server' && s.args[0]).map(({ stmt: s }) => s.args[0]!);
  return { name: stmt.args[0] ?? '', file, line: stmt.line, servers };
}

/** The facts a block sets directly (auth, SWAG variables). */
interface BlockFacts {
  readonly auth: NginxAuthKind[];
  readonly vars: Map<string, string>;
}

function blockFacts(body: readonly Located[]): BlockFacts {
  const auth = new Set<NginxAuthKind>();
  const vars = new Map<string, string>();
  for (const { stmt } of body) {
    const [first, second] = stmt.args;
    if (stmt.directive === 'include' && first) {
      const kind = AUTH_INCLUDE.exec(first)?.[1]?.toLowerCase() as NginxAuthKind | undefined;
      if (kind) auth.add(kind);
    } else if (stmt.directive === 'auth_request' && first !== 'off') auth.add('auth_request');
    else if (stmt.directive === 'auth_basic' && first !== 'off') auth.add('auth_basic');
    else if (stmt.directive === 'set' && first?.startsWith('$upstream_') && second !== undefined) vars.set(first, second);
  }
  return { auth: [...auth], vars };
}

function targetOf(vars: ReadonlyMap<string, string>): UpstreamTarget | null {
  const app = vars.get('$upstream_app');
  if (app === undefined) return null;
  const portText = vars.get('$upstream_port');
  const port = portText !== undefined && /^\d+$/.test(portText) ? Number(portText) : null;
  return { app, port, proto: vars.get('$upstream_proto') ?? null };
}

type ExpandBlock = (located: Located) => Located[];

function summarizeServer(server: Located, expandBlock: ExpandBlock): NginxServerSummary {
  const body = expandBlock(server);
  const listen: string[] = [];
  const serverNames: string[] = [];
  let ssl = false;
  for (const { stmt: s } of body) {
    if (s.directive === 'listen') {
      listen.push(s.args.join(' '));
      if (s.args.includes('ssl') || s.args.includes('quic')) ssl = true;
    } else if (s.directive === 'server_name') appendAll(serverNames, s.args);
    else if (s.directive === 'ssl' && s.args[0]?.toLowerCase() === 'on') ssl = true;
  }
  const facts = blockFacts(body);
  const locations = summarizeLocations(
    body.filter(({ stmt: s }) => s.directive === 'location'),
    facts.vars,
    expandBlock,
  );
  return {
    file: server.file,
    line: server.stmt.line,
    listen,
    serverNames,
    ssl,
    auth: facts.auth,
    target: targetOf(facts.vars),
    locations,
  };
}

/**
 * Summarises locations and the locations nested in them, in file order. An
 * explicit work list instead of recursion keeps deep nesting off the stack.
 */
function summarizeLocations(
  roots: readonly Located[],
  serverVars: ReadonlyMap<string, string>,
  expandBlock: ExpandBlock,
): NginxLocationSummary[] {
  const out: NginxLocationSummary[] = [];
  const pending = roots.map((located) => ({ located, inherited: serverVars })).reverse();
  while (pending.length > 0) {
    const { located, inherited } = pending.pop()!;
    const inner = expandBlock(located);
    const own = blockFacts(inner);
    const vars = new Map([...inherited, ...own.vars]);
    out.push({
      path: located.stmt.args.join(' '),
      file: located.file,
      line: located.stmt.line,
      proxyPass: inner.find(({ stmt: s }) => s.directive === 'proxy_pass')?.stmt.args[0] ?? null,
      auth: own.auth,
      target: targetOf(vars),
    });
    const nested = inner.filter(({ stmt: s }) => s.directive === 'location' && s.block);
    appendAll(pending, nested.map((l) => ({ located: l, inherited: vars })).reverse());
  }
  return out;
}

/** Appends without spreading, which fails for very long arrays. */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}
