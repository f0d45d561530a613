/**
 * The unified diff shown by dry runs and rollback plans: live → target,
 * with a one-line note instead of a diff for binary content. The line diff
 * is bounded like the analysis one (Myers' cost grows with lines × edits, and
 * a dry run must not stall the process on two unrelated large versions):
 * past the bound the note says how large each side is instead.
 */
import { createTwoFilesPatch } from 'diff';
import { displayPath, type RemotePath } from '../transport/remote-path.js';

/** Inserted plus removed lines, and wall time, beyond which no line diff is made. */
const BOUNDS = { maxEditLength: 2_000, timeout: 1_500 } as const;

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
  const patch = createTwoFilesPatch(from === null ? '/dev/null' : `a${name}`, to === null ? '/dev/null' : `b${name}`, a, b, 'live', 'target', BOUNDS);
  if (patch !== undefined) return patch;
  return `diff too large for ${name}: more than ${BOUNDS.maxEditLength} lines differ (live ${from?.length ?? 0} bytes, target ${to?.length ?? 0} bytes)\n`;
}
