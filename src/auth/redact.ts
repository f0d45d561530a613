/**
 * Redaction of values that look secret, for callers without `secrets:view`.
 * Redaction is visible: the value becomes `«redacted»`, never a blank.
 *
 * Text (raw files, diffs, tool output) is redacted line by line:
 * - `KEY=value`, `KEY: value`, `KEY = value` (env files, compose, INI,
 *   YAML, `- KEY=value` list items) when KEY is named like a secret;
 * - htpasswd entries (`user:$apr1$…`, the contents of an nginx
 *   `auth_basic_user_file`);
 * - the body of PEM private keys.
 * Structured data (parsed files, events) is walked: properties named like a
 * secret and `KEY=value` strings are redacted.
 */

export const REDACTED = '«redacted»';

const SECRET_NAME = /(pass(word|wd)?|secret|token|api[_-]?key|credential|(^|[_.-])key)$|^(pass(word|wd)?|secret|token)|private[_-]?key/i;

const ASSIGNMENT = /^(\s*(?:-\s+)?(?:export\s+)?["']?)([A-Za-z_][A-Za-z0-9_.-]*)(["']?\s*[=:]\s*)(.*)$/;
const HTPASSWD = /^([^:\s#][^:\s]*):(\$apr1\$|\$2[aby]?\$|\$[156]\$|\{SHA\}|\{SSHA\}|\$argon2)\S*$/;
const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----/;
const PEM_END = /-----END ([A-Z0-9 ]*PRIVATE KEY)-----/;

/** True when a property or variable name looks like it holds a secret. */
export const isSecretName = (name: string): boolean => SECRET_NAME.test(name);

/** Redacts secret-looking values in text; lines keep their count and prefixes. */
export function redactText(text: string): string {
  const lines = text.split('\n');
  let inKey = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (inKey) {
      if (PEM_END.test(line)) inKey = false;
      else lines[i] = line.replace(/\S.*$/, REDACTED);
      continue;
    }
    if (PEM_BEGIN.test(line)) {
      inKey = !PEM_END.test(line);
      if (!inKey) lines[i] = line.replace(/(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----).*(-----END)/, `$1${REDACTED}$2`);
      continue;
    }
    lines[i] = redactLine(line);
  }
  return lines.join('\n');
}

/** Redacts one line of text (see redactText); also used on diff rows. */
export function redactLine(line: string): string {
  // CRLF files: the CR is not part of the value (and `.` does not match it).
  if (line.endsWith('\r')) return `${redactLine(line.slice(0, -1))}\r`;
  const htpasswd = HTPASSWD.exec(line);
  if (htpasswd) return `${htpasswd[1]}:${REDACTED}`;
  const assignment = ASSIGNMENT.exec(line);
  if (assignment && isSecretName(assignment[2] as string) && isScalarValue(assignment[4] as string)) {
    return `${assignment[1]}${assignment[2]}${assignment[3]}${REDACTED}`;
  }
  return line;
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

/**
 * Redacts a file's bytes whatever their encoding. UTF-8 is redacted as
 * text; any other bytes are read as Latin-1 (one character per byte, so
 * everything but the redacted values comes back byte for byte), since a
 * `.env` saved in Latin-1 holds its secrets in the same `KEY=value` lines.
 * Text in UTF-16 (NUL bytes between ASCII letters) cannot be redacted that
 * way: when it holds anything secret-looking it is refused.
 */
export function redactBytes(bytes: Buffer): RedactedBytes {
  let text: string | undefined;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    text = undefined;
  }
  if (text !== undefined && !text.includes('\u0000')) {
    const redacted = redactText(text);
    return redacted === text ? { kind: 'bytes', bytes, redacted: false } : { kind: 'bytes', bytes: Buffer.from(redacted, 'utf8'), redacted: true };
  }
  if (bytes.includes(0)) {
    for (const offset of [0, 1]) {
      const wide = bytes.subarray(offset, offset + ((bytes.length - offset) & ~1)).toString('utf16le');
      if (redactText(wide) !== wide) {
        return { kind: 'refused', reason: 'this version is UTF-16 text with secret-looking values, which cannot be redacted; it needs the secrets:view scope' };
      }
    }
  }
  const latin1 = bytes.toString('latin1');
  const redacted = redactText(latin1);
  return redacted === latin1 ? { kind: 'bytes', bytes, redacted: false } : { kind: 'bytes', bytes: Buffer.from(redacted, 'latin1'), redacted: true };
}
