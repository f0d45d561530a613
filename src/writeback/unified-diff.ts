/**
 * The unified diff shown by dry runs and rollback plans: live → target,
 * with a one-line note instead of a diff for binary content.
 */
import { createTwoFilesPatch } from 'diff';
import { displayPath, type RemotePath } from '../transport/remote-path.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function asText(bytes: Buffer | null): string | null {
  if (bytes === null) return '';
  if (bytes.includes(0)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Unified diff from `from` to `to` (null = the file is absent on that side). */
export function unifiedDiff(path: RemotePath, from: Buffer | null, to: Buffer | null): string {
  const name = displayPath(path);
  const a = asText(from);
  const b = asText(to);
  if (a === null || b === null) return `Binary file ${name} ${from && to && from.equals(to) ? 'unchanged' : 'differs'}\n`;
  return createTwoFilesPatch(from === null ? '/dev/null' : `a${name}`, to === null ? '/dev/null' : `b${name}`, a, b, 'live', 'target');
}
