/**
 * What a rule's CEL expression sees: a small normalised view of one parsed
 * file, built here in TypeScript so expressions stay short and read the
 * same whatever syntax the file used. Each view is plain data (strings,
 * numbers, booleans, lists, maps); lines are 1-based, 0 when the item lives
 * in an included file (its `file` says which).
 */
import type { ComposeData, ComposeService } from '../parsers/compose/compose-types.js';
import type { NginxData } from '../parsers/nginx/nginx.parser.js';
import type { NginxStatement } from '../parsers/nginx/payload.js';
import type { SshdConfigData } from '../parsers/sshd/sshd.parser.js';
import type { SystemdUnitData } from '../parsers/systemd/systemd.parser.js';
import type { RuleConfigType } from './rule.js';
import { firstValues, normaliseSshdValue, SSHD_DEFAULTS } from './sshd-effective.js';

export type View = Record<string, unknown>;

/** Lists in a view are cut at this length, which bounds every comprehension over them. */
export const MAX_VIEW_ITEMS = 5_000;

const cap = <T>(items: T[]): T[] => (items.length > MAX_VIEW_ITEMS ? items.slice(0, MAX_VIEW_ITEMS) : items);

/**
 * sshd: `sshd` the effective global settings (defaults included, as
 * `sshd -T`), `values` every value a keyword takes (global, then each
 * `Match` block that sets it), `lines` where the main file sets it,
 * `matches` the blocks.
 */
function sshdView(data: SshdConfigData): View {
  const sshd: Record<string, string> = { ...SSHD_DEFAULTS };
  const lines: Record<string, number> = {};
  for (const [key, setting] of firstValues(data.directives)) {
    sshd[key] = normaliseSshdValue(key, setting.value);
    lines[key] = setting.file ? 0 : setting.line;
  }
  const values: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(sshd)) values[key] = [value];
  const matches = cap(data.matches).map((m) => {
    const settings: Record<string, string> = {};
    for (const [key, setting] of firstValues(m.directives)) {
      const value = normaliseSshdValue(key, setting.value);
      settings[key] = value;
      values[key] = [...(values[key] ?? []), value];
    }
    return { criteria: m.criteria, line: m.file ? 0 : m.line, settings };
  });
  return { sshd, values, lines, matches, set: Object.keys(lines) };
}

/** A statement with where it is and the blocks around it. */
interface Located {
  readonly stmt: NginxStatement;
  readonly file: string;
}

const MAX_INCLUDE_DEPTH = 16;

/** Statements of a block with includes expanded in place (multi-file payloads), cycles and depth bounded. */
function expander(data: NginxData): { root: Located[]; expand: (stmts: readonly NginxStatement[], file: string, depth?: number) => Located[] } {
  const payload = data.payload;
  const files = 'config' in payload ? payload.config : [{ file: '', parsed: payload.parsed }];
  const expand = (stmts: readonly NginxStatement[], file: string, depth = 0): Located[] => {
    const out: Located[] = [];
    for (const stmt of stmts) {
      if (stmt.directive !== 'include' || !stmt.includes?.length || depth >= MAX_INCLUDE_DEPTH) {
        out.push({ stmt, file });
        continue;
      }
      for (const index of stmt.includes) {
        const included = files[index];
        if (included) for (const item of expand(included.parsed, included.file, depth + 1)) out.push(item);
      }
    }
    return out;
  };
  const main = files[0];
  return { root: main ? expand(main.parsed, main.file) : [], expand };
}

const PUBLIC_TAG = '$confwatch_public';
const AUTH_INCLUDE = /(authelia|authentik|ldap|tinyauth)-(location|server)\.conf/i;

/**
 * nginx: `main` (the file has an `http` block), `http` its directives
 * (first value), `statements` every directive with its context, `servers`
 * and `locations` (nested ones included) with what the rules ask of them.
 * A block is tagged public by `set $confwatch_public 1;` inside it.
 */
function nginxView(data: NginxData): View {
  const { root, expand } = expander(data);
  const mainFile = 'config' in data.payload ? (data.payload.config[0]?.file ?? '') : '';
  const lineOf = (l: Located): number => (l.file === mainFile || l.file === '' ? l.stmt.line : 0);
  const statements: View[] = [];
  const servers: View[] = [];
  const locations: View[] = [];
  const http: Record<string, string> = {};
  let main = false;

  const headersOf = (body: readonly Located[]): string[] => body.filter((l) => l.stmt.directive === 'add_header').map((l) => (l.stmt.args[0] ?? '').toLowerCase());
  const authIn = (body: readonly Located[]): boolean =>
    body.some(({ stmt: s }) => (s.directive === 'include' && AUTH_INCLUDE.test(s.args[0] ?? '')) || ((s.directive === 'auth_request' || s.directive === 'auth_basic') && s.args[0] !== 'off'));
  const taggedPublic = (body: readonly Located[]): boolean => body.some(({ stmt: s }) => s.directive === 'set' && s.args[0] === PUBLIC_TAG);
  const first = (body: readonly Located[], name: string): string => body.find((l) => l.stmt.directive === name)?.stmt.args.join(' ') ?? '';

  const visitLocation = (l: Located, inherited: { headers: boolean; auth: boolean; public: boolean }): void => {
    const body = expand(l.stmt.block ?? [], l.file);
    const headers = headersOf(body);
    const auth = inherited.auth || authIn(body);
    const isPublic = inherited.public || taggedPublic(body);
    locations.push({
      path: l.stmt.args.join(' '),
      line: lineOf(l),
      file: l.file,
      alias: first(body, 'alias'),
      proxyPass: first(body, 'proxy_pass'),
      headers,
      dropsParentHeaders: headers.length > 0 && inherited.headers,
      auth,
      public: isPublic,
      allows: body.filter((b) => b.stmt.directive === 'allow').length,
      denies: body.filter((b) => b.stmt.directive === 'deny').map((b) => b.stmt.args[0] ?? ''),
      stubStatus: body.some((b) => b.stmt.directive === 'stub_status' || b.stmt.directive === 'status'),
    });
    walk(body, 'location', { headers: inherited.headers || headers.length > 0, auth, public: isPublic });
  };

  const visitServer = (l: Located, inheritedHeaders: boolean): void => {
    const body = expand(l.stmt.block ?? [], l.file);
    const listen = body.filter((b) => b.stmt.directive === 'listen').map((b) => b.stmt.args);
    const headers = headersOf(body);
    servers.push({
      line: lineOf(l),
      file: l.file,
      names: body.filter((b) => b.stmt.directive === 'server_name').flatMap((b) => b.stmt.args),
      listen: listen.map((a) => a.join(' ')),
      ssl: listen.some((a) => a.includes('ssl') || a.includes('quic')),
      plain: listen.some((a) => !a.includes('ssl') && !a.includes('quic')),
      defaultServer: listen.some((a) => a.includes('default_server') || a.includes('default')),
      returns: first(body, 'return'),
      rejectsHandshake: first(body, 'ssl_reject_handshake') === 'on',
      // add_header is inherited only by a block that sets none itself
      headers: headers.length > 0 ? headers : headersOfHttp,
      auth: authIn(body),
      public: taggedPublic(body),
    });
    walk(body, 'server', { headers: inheritedHeaders || headers.length > 0, auth: authIn(body), public: taggedPublic(body) });
  };

  let headersOfHttp: string[] = [];
  const walk = (body: readonly Located[], context: string, inherited: { headers: boolean; auth: boolean; public: boolean }): void => {
    for (const l of body) {
      const { directive, args } = l.stmt;
      statements.push({ name: directive, args, value: args.join(' '), line: lineOf(l), file: l.file, context });
      if (!l.stmt.block) continue;
      if (directive === 'http') {
        main = true;
        const inner = expand(l.stmt.block, l.file);
        for (const s of inner) if (!s.stmt.block && !(s.stmt.directive in http)) http[s.stmt.directive] = s.stmt.args.join(' ');
        headersOfHttp = headersOf(inner);
        walk(inner, 'http', { headers: headersOfHttp.length > 0, auth: false, public: false });
      } else if (directive === 'server' && context !== 'upstream') visitServer(l, inherited.headers);
      else if (directive === 'location') visitLocation(l, inherited);
      else walk(expand(l.stmt.block, l.file), directive, inherited);
    }
  };
  walk(root, 'main', { headers: false, auth: false, public: false });
  return { main, http, statements: cap(statements), servers: cap(servers), locations: cap(locations) };
}

const TRUE_WORDS = new Set(['yes', 'true', '1', 'on']);

/** systemd: `unit` name and type, `service` the last value of each `[Service]` key, `on` the keys set to a true boolean. */
function systemdView(data: SystemdUnitData): View {
  const service: Record<string, string> = {};
  for (const [key, values] of Object.entries(data.sections.Service ?? {})) {
    const last = values.at(-1);
    if (last !== undefined) service[key] = last;
  }
  const on = Object.entries(service)
    .filter(([, v]) => TRUE_WORDS.has(v.toLowerCase()))
    .map(([k]) => k);
  return { name: data.name ?? '', type: data.unitType ?? '', service, on };
}

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY)/i;

/** compose: `services`, each with the fields the rules read; `secretKeys` names variables that look like secrets and hold a value (never the value). */
function composeView(data: ComposeData): View {
  const services = Object.values(data.services)
    .filter((s) => s.enabled)
    .map((s: ComposeService) => {
      const h = s.hardening ?? ({} as Partial<ComposeService['hardening']>);
      return {
        name: s.name,
        line: s.file ? 0 : s.line,
        image: s.image?.ref ?? '',
        tag: s.image ? (s.image.digest ? 'digest' : (s.image.tag ?? '')) : 'build',
        privileged: s.privileged,
        capAdd: s.capAdd.map((c) => c.toUpperCase().replace(/^CAP_/, '')),
        networkMode: s.networkMode ?? '',
        pid: h.pid ?? '',
        ipc: h.ipc ?? '',
        usernsMode: h.usernsMode ?? '',
        securityOpt: (h.securityOpt ?? []).map((o) => o.replace('=', ':').toLowerCase()),
        devices: h.devices ?? [],
        healthcheck: h.healthcheck ?? 'none',
        memLimit: h.memLimit ?? '',
        pidsLimit: h.pidsLimit ?? '',
        readOnly: h.readOnly ?? false,
        volumes: s.volumes.map((v) => ({ type: v.type, source: v.source ?? '', target: v.target, readOnly: v.readOnly })),
        ports: s.ports.map((p) => ({ hostIp: p.hostIp ?? '', published: p.published ?? '', target: p.target })),
        secretKeys: Object.entries(s.environment)
          .filter(([k, v]) => SECRET_NAME.test(k) && v !== null && v !== '' && !v.startsWith('/run/secrets/'))
          .map(([k]) => k),
      };
    });
  return { services: cap(services) };
}

/** The view of a parsed file for rules of its type; null when the data is not of that type's shape. */
export function viewOf(type: RuleConfigType, parsed: unknown): View | null {
  if (parsed === null || typeof parsed !== 'object') return null;
  const data = parsed as Record<string, unknown>;
  if (type === 'sshd' && data.kind === 'sshd-config') return sshdView(parsed as SshdConfigData);
  if (type === 'nginx' && data.payload) return nginxView(parsed as NginxData);
  if (type === 'systemd' && data.kind === 'systemd-unit') return systemdView(parsed as SystemdUnitData);
  if (type === 'compose' && data.kind === 'compose') return composeView(parsed as ComposeData);
  return null;
}
