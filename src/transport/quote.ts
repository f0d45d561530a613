/**
 * The one place remote shell commands are built. Every value that reaches a
 * remote `sh` goes through `quote`, which wraps its exact bytes in single
 * quotes (`'` becomes `'\''`); nothing inside single quotes is interpreted by
 * a POSIX shell, whatever the bytes. Scripts are Buffers, so names that are
 * not UTF-8 reach the host unchanged.
 *
 * Build scripts with the `sh` tagged template: literal parts are trusted
 * code written in this repository; every interpolated value is quoted.
 *
 *   sh`cat -- ${path}`            // path is a RemotePath, quoted
 *   sh`ls ${raw('-la')}`          // raw() marks a trusted literal fragment
 */
import { type RemotePath, remotePathToBytes } from './remote-path.js';

const SCRIPT = Symbol('ShellScript');

/** A shell script whose every interpolated value has been quoted. */
export interface ShellScript {
  readonly [SCRIPT]: true;
  readonly bytes: Buffer;
}

/** A fragment of trusted shell code (never user or remote input). */
export interface RawFragment {
  readonly raw: Buffer;
}

/** Values `sh` accepts: strings are RemotePath-decoded (b64 form → bytes). */
export type ShellValue = RemotePath | Buffer | number | RawFragment | ShellScript | readonly ShellValue[];

export const isShellScript = (v: unknown): v is ShellScript =>
  typeof v === 'object' && v !== null && (v as { [SCRIPT]?: boolean })[SCRIPT] === true;

/** Marks trusted shell code so `sh` inserts it unquoted. */
export const raw = (code: string): RawFragment => ({ raw: Buffer.from(code, 'utf8') });

/** Wraps the exact bytes in single quotes. NUL cannot appear in a shell word and is refused. */
export function quote(value: RemotePath | Buffer): Buffer {
  const bytes = typeof value === 'string' ? remotePathToBytes(value) : value;
  if (bytes.includes(0)) throw new TypeError('a shell argument cannot contain a NUL byte');
  const parts: Buffer[] = [Buffer.from("'")];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x27) {
      parts.push(bytes.subarray(start, i), Buffer.from("'\\''"));
      start = i + 1;
    }
  }
  parts.push(bytes.subarray(start), Buffer.from("'"));
  return Buffer.concat(parts);
}

function render(value: ShellValue): Buffer {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('cannot interpolate a non-finite number');
    return Buffer.from(String(value));
  }
  if (Array.isArray(value)) {
    const out: Buffer[] = [];
    value.forEach((v, i) => {
      if (i > 0) out.push(Buffer.from(' '));
      out.push(render(v));
    });
    return Buffer.concat(out);
  }
  if (isShellScript(value)) return value.bytes;
  if (typeof value === 'object' && value !== null && 'raw' in value && Buffer.isBuffer((value as RawFragment).raw)) {
    return (value as RawFragment).raw;
  }
  return quote(value as RemotePath | Buffer);
}

/** Tagged template that builds a ShellScript, quoting every interpolation. */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): ShellScript {
  const parts: Buffer[] = [];
  strings.forEach((s, i) => {
    parts.push(Buffer.from(s, 'utf8'));
    if (i < values.length) parts.push(render(values[i] as ShellValue));
  });
  return { [SCRIPT]: true, bytes: Buffer.concat(parts) };
}

/** A script from an argv: each element quoted, joined by spaces. */
export function argvToScript(argv: readonly (string | Buffer)[]): ShellScript {
  return { [SCRIPT]: true, bytes: Buffer.concat(argv.flatMap((a, i) => (i ? [Buffer.from(' '), quote(a)] : [quote(a)]))) };
}

/** Joins scripts with a separator (default newline). */
export function joinScripts(scripts: readonly ShellScript[], separator = '\n'): ShellScript {
  const sep = Buffer.from(separator);
  return { [SCRIPT]: true, bytes: Buffer.concat(scripts.flatMap((s, i) => (i ? [sep, s.bytes] : [s.bytes]))) };
}
