/**
 * Redaction of values that look secret, for callers without `secrets:view`.
 * Redaction is visible: the value becomes `«redacted»`, never a blank.
 *
 * Text (raw files, diffs, tool output) is redacted line by line:
 * - `KEY=value`, `KEY: value`, `KEY = value` (env files, compose, INI,
 *   YAML, `- KEY=value` list items) when KEY is named like a secret;
 * - directives whose second word names a secret (nginx `proxy_set_header
 *   Authorization "Basic …";`, `set $api_token …;`, `fastcgi_param
 *   DB_PASSWORD …;`);
 * - htpasswd entries (`user:$apr1$…`, the contents of an nginx
 *   `auth_basic_user_file`);
 * - the body of PEM private keys.
 * Structured data (parsed files, events) is walked: properties named like a
 * secret and `KEY=value` strings are redacted.
 *
 * Tools that check a file (nginx -t, sshd -t, compose config) quote its
 * lines in their own words (`unknown directive "DB_PASSWORD=…"`), where no
 * line rule applies: `secretValues` gives the values the rules above hide
 * in a file, and `hideValues` replaces them wherever they appear.
 */

export const REDACTED = '«redacted»';

const SECRET_NAME = /(pass(word|wd)?|secret|token|api[_-]?key|credential|authori[sz]ation|(^|[_.-])key)$|^(pass(word|wd)?|secret|token)|private[_-]?key/i;

const ASSIGNMENT = /^(\s*(?:-\s+)?(?:export\s+)?["']?)([A-Za-z_][A-Za-z0-9_.-]*)(["']?\s*[=:]\s*)(.*)$/;
/** `directive name value;`: the name a header or variable (`$x`), the value up to the `;`. */
const DIRECTIVE = /^(\s*[A-Za-z_][A-Za-z0-9_]*\s+)(\$?[A-Za-z][A-Za-z0-9_.-]*)(\s+)([^;]*[^;\s])(\s*;\s*(?:#.*)?)$/;
const HTPASSWD = /^([^:\s#][^:\s]*):(\$apr1\$|\$2[aby]?\$|\$[156]\$|\{SHA\}|\{SSHA\}|\$argon2)\S*$/;
const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----/;
const PEM_END = /-----END ([A-Z0-9 ]*PRIVATE KEY)-----/;

/** True when a property or variable name looks like it holds a secret. */
export const isSecretName = (name: string): boolean => SECRET_NAME.test(name);

/** Where a line holds a secret: the text before it, the value, the text after it. */
interface Secret {
  readonly head: string;
  readonly value: string;
  readonly tail: string;
}

/** Redacts secret-looking values in text; lines keep their count and prefixes. */
export function redactText(text: string): string {
  const lines = text.split('\n');
  for (const [i, secret] of secretsOf(lines)) lines[i] = `${secret.head}${REDACTED}${secret.tail}`;
  return lines.join('\n');
}

/** Redacts one line of text (see redactText); also used on diff rows. */
export function redactLine(line: string): string {
  const secret = secretIn(line);
  return secret ? `${secret.head}${REDACTED}${secret.tail}` : line;
}

/** The secrets of `lines` by line index: what the line rules find, and private key bodies. */
function* secretsOf(lines: readonly string[]): Generator<[number, Secret]> {
  let inKey = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (inKey) {
      const body = /\S.*$/.exec(line);
      if (PEM_END.test(line)) inKey = false;
      else if (body) yield [i, { head: line.slice(0, body.index), value: body[0], tail: '' }];
      continue;
    }
    if (PEM_BEGIN.test(line)) {
      inKey = !PEM_END.test(line);
      const oneLine = /^(.*-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)(.*)(-----END.*)$/.exec(line);
      if (!inKey && oneLine) yield [i, { head: oneLine[1] as string, value: oneLine[2] as string, tail: oneLine[3] as string }];
      continue;
    }
    const secret = secretIn(line);
    if (secret) yield [i, secret];
  }
}

function secretIn(line: string): Secret | undefined {
  // CRLF files: the CR is not part of the value (and `.` does not match it).
  if (line.endsWith('\r')) {
    const secret = secretIn(line.slice(0, -1));
    return secret && { ...secret, tail: `${secret.tail}\r` };
  }
  const htpasswd = HTPASSWD.exec(line);
  if (htpasswd) return { head: `${htpasswd[1]}:`, value: line.slice((htpasswd[1] as string).length + 1), tail: '' };
  const assignment = ASSIGNMENT.exec(line);
  if (assignment && isSecretName(assignment[2] as string) && isScalarValue(assignment[4] as string)) {
    return { head: `${assignment[1]}${assignment[2]}${assignment[3]}`, value: assignment[4] as string, tail: '' };
  }
  const directive = DIRECTIVE.exec(line);
  if (directive && isSecretName((directive[2] as string).replace(/^\$/, ''))) {
    return { head: `${directive[1]}${directive[2]}${directive[3]}`, value: directive[4] as string, tail: directive[5] as string };
  }
  return undefined;
}

/** Values shorter than this are hidden only where they stand as a word of their own, not inside other words. */
const SHORT_VALUE = 4;

/**
 * The values redaction hides in a file's bytes (read as redactBytes reads
 * them), each also without its quotes and a closing `;` and, for bytes
 * that are not UTF-8, as a tool's output decoded as UTF-8 shows them;
 * longest first, so a value is hidden before any shorter one inside it.
 */
export function secretValues(bytes: Buffer): string[] {
  const values = new Set<string>();
  const add = (value: string, latin1: boolean) => {
    // as written, and without the quotes or the `;` a tool leaves out when it quotes the value
    const bare = value.replace(/\s*;$/, '');
    for (const v of [value, bare, bare.replace(/^(["'])(.*)\1$/, '$2')]) {
      if (v.trim() === '') continue;
      values.add(v);
      if (latin1) values.add(Buffer.from(v, 'latin1').toString('utf8'));
    }
  };
  for (const { text, latin1 } of readings(bytes)) {
    for (const [, secret] of secretsOf(text.split('\n'))) add(secret.value.trim(), latin1);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/** `text` with every one of `values` (from secretValues) replaced by the redaction mark. */
export function hideValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) {
    if (value.length >= SHORT_VALUE) out = out.split(value).join(REDACTED);
    else out = out.replace(new RegExp(`(?<![A-Za-z0-9])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`, 'g'), REDACTED);
  }
  return out;
}

/**
 * Redacts a unified diff: body lines are redacted on their content (after
 * the `+`, `-` or space marker), headers and hunk lines are kept.
 */
export function redactUnifiedDiff(diff: string): string {
  const lines = diff.split('\n');
  const isBody = (line: string, i: number): boolean =>
    /^[ +-]/.test(line) && !(/^(\+\+\+|---) /.test(line) && /^(\+\+\+|---) /.test(lines[i + (line.startsWith('-') ? 1 : -1)] ?? ''));
  const body = lines.map((line, i) => isBody(line, i));
  const contents = redactText(lines.filter((_, i) => body[i]).map((line) => line.slice(1)).join('\n')).split('\n');
  let next = 0;
  return lines.map((line, i) => (body[i] ? `${line[0]}${contents[next++]}` : line)).join('\n');
}

/** Redacts secret-looking values anywhere in JSON-like data; returns a copy. */
export function redactValue<T>(value: T): T {
  return walk(value, undefined) as T;
}

function walk(value: unknown, name: string | undefined): unknown {
  if (typeof value === 'string') {
    if (name !== undefined && isSecretName(name) && value !== '') return REDACTED;
    return value.includes('\n') ? redactText(value) : redactLine(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return name !== undefined && isSecretName(name) ? REDACTED : value;
  }
  if (Array.isArray(value)) return value.map((item) => walk(item, undefined));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = walk(item, key);
    return out;
  }
  return value;
}

// An empty value opens a nested block and a `#` starts a comment: neither is a secret.
const isScalarValue = (rest: string): boolean => rest.trim() !== '' && !rest.trim().startsWith('#');

/** What a caller without `secrets:view` may be sent of a file's exact bytes. */
export type RedactedBytes =
  | { readonly kind: 'bytes'; readonly bytes: Buffer; readonly redacted: boolean }
  | { readonly kind: 'refused'; readonly reason: string };

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text without NUL bytes, else undefined. */
function asUtf8(bytes: Buffer): string | undefined {
  try {
    const text = utf8Strict.decode(bytes);
    return text.includes('\u0000') ? undefined : text;
  } catch {
    return undefined;
  }
}

/** Both byte orders of UTF-16 text in `bytes` (which hold NUL bytes). */
const utf16Readings = (bytes: Buffer): string[] =>
  [0, 1].map((offset) => bytes.subarray(offset, offset + ((bytes.length - offset) & ~1)).toString('utf16le'));

/** How a file's bytes are read for redaction: UTF-8, else Latin-1 (and UTF-16 when they hold NUL bytes). */
function readings(bytes: Buffer): { text: string; latin1: boolean }[] {
  const utf8 = asUtf8(bytes);
  if (utf8 !== undefined) return [{ text: utf8, latin1: false }];
  return [{ text: bytes.toString('latin1'), latin1: true }, ...(bytes.includes(0) ? utf16Readings(bytes).map((text) => ({ text, latin1: false })) : [])];
}

/**
 * Redacts a file's bytes whatever their encoding. UTF-8 is redacted as
 * text; any other bytes are read as Latin-1 (one character per byte, so
 * everything but the redacted values comes back byte for byte), since a
 * `.env` saved in Latin-1 holds its secrets in the same `KEY=value` lines.
 * Text in UTF-16 (NUL bytes between ASCII letters) cannot be redacted that
 * way: when it holds anything secret-looking it is refused.
 */
export function redactBytes(bytes: Buffer): RedactedBytes {
  const text = asUtf8(bytes);
  if (text !== undefined) {
    const redacted = redactText(text);
    return redacted === text ? { kind: 'bytes', bytes, redacted: false } : { kind: 'bytes', bytes: Buffer.from(redacted, 'utf8'), redacted: true };
  }
  if (bytes.includes(0) && utf16Readings(bytes).some((wide) => redactText(wide) !== wide)) {
    return { kind: 'refused', reason: 'this version is UTF-16 text with secret-looking values, which cannot be redacted; it needs the secrets:view scope' };
  }
  const latin1 = bytes.toString('latin1');
  const redacted = redactText(latin1);
  return redacted === latin1 ? { kind: 'bytes', bytes, redacted: false } : { kind: 'bytes', bytes: Buffer.from(redacted, 'latin1'), redacted: true };
}
