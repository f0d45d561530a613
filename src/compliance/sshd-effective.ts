/**
 * The effective sshd configuration as `sshd -T` prints it, from the
 * parser's output: directives in file order with includes expanded, the
 * first value of each keyword winning (aliases such as
 * ChallengeResponseAuthentication count as the keyword they stand for),
 * OpenSSH's defaults for what is not set, times in seconds and algorithm
 * lists with their `+`, `-` and `^` edits applied. With a connection, the
 * `Match` blocks it satisfies override the global values, first value
 * winning among them, as sshd applies them after authentication.
 *
 * Defaults are OpenSSH 9.2's (Debian 12); another release differs in a
 * few algorithm lists, which `sshd -T` on the host shows.
 */
import type { SshdConfigData, SshdDirective, SshdMatchBlock } from '../parsers/sshd/sshd.parser.js';

const CIPHERS = 'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com';
const MACS =
  'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1';
const KEX =
  'sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256';

/** The keywords rules read, with OpenSSH's default (as `sshd -T` prints it). */
export const SSHD_DEFAULTS: Readonly<Record<string, string>> = {
  permitrootlogin: 'without-password',
  passwordauthentication: 'yes',
  permitemptypasswords: 'no',
  kbdinteractiveauthentication: 'yes',
  maxauthtries: '6',
  maxsessions: '10',
  logingracetime: '120',
  x11forwarding: 'no',
  allowagentforwarding: 'yes',
  allowtcpforwarding: 'yes',
  permituserenvironment: 'no',
  hostbasedauthentication: 'no',
  ignorerhosts: 'yes',
  strictmodes: 'yes',
  loglevel: 'INFO',
  clientaliveinterval: '0',
  clientalivecountmax: '3',
  pubkeyauthentication: 'yes',
  permittunnel: 'no',
  gatewayports: 'no',
  compression: 'yes',
  usedns: 'no',
  maxstartups: '10:30:100',
  banner: 'none',
  ciphers: CIPHERS,
  macs: MACS,
  kexalgorithms: KEX,
};

/** Old spellings sshd still reads as another keyword. */
const ALIASES: Readonly<Record<string, string>> = {
  challengeresponseauthentication: 'kbdinteractiveauthentication',
  skeyauthentication: 'kbdinteractiveauthentication',
  pubkeyacceptedkeytypes: 'pubkeyacceptedalgorithms',
  hostbasedacceptedkeytypes: 'hostbasedacceptedalgorithms',
};

const TIME_KEYS = new Set(['logingracetime', 'clientaliveinterval']);
const LIST_KEYS = new Set(['ciphers', 'macs', 'kexalgorithms']);
/** Keywords whose value sshd prints lower-cased (yes/no and similar choices). */
const CASE_FOLDED = new Set(Object.keys(SSHD_DEFAULTS).filter((k) => k !== 'loglevel' && k !== 'banner'));
const ACCUMULATING = new Set(['allowusers', 'allowgroups', 'denyusers', 'denygroups']);

export const canonicalSshdKey = (key: string): string => ALIASES[key] ?? key;

/** `1m30s` → 90; a bare number is seconds; undefined when malformed. */
export function sshdSeconds(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  let total = 0;
  const parts = text.toLowerCase().match(/\d+[smhdw]?/g);
  if (!parts || parts.join('') !== text.toLowerCase()) return undefined;
  for (const part of parts) {
    const last = part.at(-1)!;
    total += last in unit ? Number(part.slice(0, -1)) * unit[last]! : Number(part);
  }
  return total;
}

const globToRegExp = (pattern: string): RegExp =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

/** An algorithm list with sshd's `+` (append), `-` (remove, wildcards) and `^` (prepend) edits applied to the default. */
function algorithmList(value: string, fallback: string): string {
  const defaults = fallback.split(',');
  const edit = value.slice(1).split(',');
  if (value.startsWith('+')) return [...defaults, ...edit.filter((a) => !defaults.includes(a))].join(',');
  if (value.startsWith('^')) return [...edit, ...defaults.filter((a) => !edit.includes(a))].join(',');
  if (value.startsWith('-')) {
    const removed = edit.map(globToRegExp);
    return defaults.filter((a) => !removed.some((r) => r.test(a))).join(',');
  }
  return value;
}

/** A value as `sshd -T` prints it. */
export function normaliseSshdValue(key: string, value: string): string {
  if (TIME_KEYS.has(key)) return String(sshdSeconds(value) ?? value);
  if (LIST_KEYS.has(key)) return algorithmList(value, SSHD_DEFAULTS[key] ?? '');
  // QUIET is the old name of SILENT
  if (key === 'loglevel') return value.toUpperCase() === 'QUIET' ? 'SILENT' : value.toUpperCase();
  // sshd prints the newer spelling's value under its old name
  if (key === 'permitrootlogin' && value.toLowerCase() === 'prohibit-password') return 'without-password';
  return CASE_FOLDED.has(key) ? value.toLowerCase() : value;
}

/** Where a keyword's effective value was set. */
export interface SshdSetting {
  readonly value: string;
  readonly line: number;
  /** The included file it came from; absent for the main file. */
  readonly file?: string;
}

/** First value wins per canonical keyword; accumulating keywords collect every value. */
export function firstValues(directives: readonly SshdDirective[]): Map<string, SshdSetting> {
  const out = new Map<string, SshdSetting>();
  for (const d of directives) {
    const key = canonicalSshdKey(d.key);
    const value = d.args.join(' ');
    const previous = out.get(key);
    const at = d.file ? { line: d.line, file: d.file } : { line: d.line };
    if (!previous) out.set(key, { value, ...at });
    else if (ACCUMULATING.has(key)) out.set(key, { ...previous, value: `${previous.value} ${value}` });
  }
  return out;
}

/** The connection a `Match` block is tested against (`sshd -T -C user=…,host=…,addr=…`). */
export interface SshdConnection {
  readonly user: string;
  readonly host: string;
  readonly addr: string;
}

function ipv4(addr: string): number | undefined {
  const parts = addr.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function matchesPattern(value: string, pattern: string): boolean {
  const cidr = pattern.match(/^([\d.]+)\/(\d{1,2})$/);
  if (cidr) {
    const [net, self] = [ipv4(cidr[1]!), ipv4(value)];
    if (net === undefined || self === undefined) return false;
    const bits = Number(cidr[2]);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return (net & mask) >>> 0 === (self & mask) >>> 0;
  }
  return globToRegExp(pattern).test(value);
}

/** sshd's pattern lists: comma-separated, `!` negates and vetoes. */
function matchesList(value: string, list: string): boolean {
  let matched = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    if (matchesPattern(value, negated ? raw.slice(1) : raw)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** True when every condition of the block holds for the connection; criteria sshd tests but this does not (Group, LocalPort…) never match. */
export function matchApplies(block: Pick<SshdMatchBlock, 'conditions'>, connection: SshdConnection): boolean {
  return block.conditions.every(({ name, value }) => {
    if (name === 'all') return true;
    if (value === null) return false;
    if (name === 'user') return matchesList(connection.user, value);
    if (name === 'host') return matchesList(connection.host, value);
    if (name === 'address') return matchesList(connection.addr, value);
    return false;
  });
}

/**
 * Effective settings for the rules' keywords (defaults included), plus every
 * other keyword set in the file; with a connection, Match blocks applied.
 */
export function sshdEffective(data: SshdConfigData, connection?: SshdConnection): Record<string, string> {
  const out: Record<string, string> = { ...SSHD_DEFAULTS };
  for (const [key, setting] of firstValues(data.directives)) out[key] = normaliseSshdValue(key, setting.value);
  if (!connection) return out;
  const overrides = firstValues(data.matches.filter((m) => matchApplies(m, connection)).flatMap((m) => m.directives));
  for (const [key, setting] of overrides) out[key] = normaliseSshdValue(key, setting.value);
  return out;
}
