/**
 * Line diff between two versions' bytes: a unified text diff and
 * structured rows that a UI renders side by side. Content is bytes: when
 * either side is not text (NUL bytes or invalid UTF-8) no line diff is
 * attempted and a readable message says so. Pure.
 *
 * The line diff is bounded: Myers' algorithm costs (lines × edits), so two
 * unrelated 8k-line versions took seconds. Past MAX_EDIT_LENGTH edits (or
 * DIFF_TIMEOUT_MS) the diff is shown as one hunk replacing the whole file,
 * with a message saying so.
 */
import { type ChangeObject, createTwoFilesPatch, diffLines, formatPatch } from 'diff';

/** Inserted plus removed lines beyond which the line diff gives up. */
export const MAX_EDIT_LENGTH = 2_000;
/** Wall time beyond which the line diff gives up, whatever the edit length so far. */
const DIFF_TIMEOUT_MS = 1_500;
const BOUNDS = { maxEditLength: MAX_EDIT_LENGTH, timeout: DIFF_TIMEOUT_MS } as const;

/** One line on one side of a side-by-side diff. */
export interface DiffCell {
  /** 1-based line number in that version. */
  readonly line: number;
  readonly text: string;
}

/** A side-by-side row: unchanged, removed (left only), added (right only) or changed (both). */
export interface DiffRow {
  readonly kind: 'context' | 'removed' | 'added' | 'changed';
  readonly left: DiffCell | null;
  readonly right: DiffCell | null;
}

export interface ContentDiff {
  /** True when either side is binary: `unified` is empty and `rows` too. */
  readonly binary: boolean;
  /**
   * Why there is no line diff (binary, content not stored, over budget), or
   * why it is a whole-file replacement (too many edits); absent otherwise.
   */
  readonly message?: string;
  readonly unified: string;
  readonly rows: DiffRow[];
  readonly added: number;
  readonly removed: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const BINARY_SNIFF_BYTES = 8192;

/** The text of a buffer, or undefined when it is binary. */
export function decodeText(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Diffs two versions' bytes; `names` label the unified headers. */
export function diffContents(before: Buffer, after: Buffer, names: { from: string; to: string }): ContentDiff {
  const left = decodeText(before);
  const right = decodeText(after);
  if (left === undefined || right === undefined) {
    const message = before.equals(after)
      ? `binary content, unchanged (${after.length} bytes)`
      : `binary content changed (${before.length} → ${after.length} bytes); no line diff is shown`;
    return { binary: true, message, unified: '', rows: [], added: 0, removed: 0 };
  }
  const unified = createTwoFilesPatch(names.from, names.to, left, right, undefined, undefined, { context: 3, ...BOUNDS });
  const changes = unified === undefined ? undefined : diffLines(left, right, BOUNDS);
  if (unified === undefined || changes === undefined) return wholeFileReplacement(left, right, names);
  return { binary: false, unified, ...sideBySide(changes) };
}

/** The diff as one hunk removing every old line and adding every new one. */
function wholeFileReplacement(left: string, right: string, names: { from: string; to: string }): ContentDiff {
  const oldLines = splitLines(left);
  const newLines = splitLines(right);
  const side = (text: string, lines: string[], sign: '-' | '+') => {
    const out = lines.map((line) => sign + line);
    if (lines.length > 0 && !text.endsWith('\n')) out.push('\\ No newline at end of file');
    return out;
  };
  const unified = formatPatch({
    oldFileName: names.from,
    newFileName: names.to,
    oldHeader: undefined,
    newHeader: undefined,
    hunks: [
      {
        // formatPatch prints an empty side as `-0,0` itself
        oldStart: 1,
        oldLines: oldLines.length,
        newStart: 1,
        newLines: newLines.length,
        lines: [...side(left, oldLines, '-'), ...side(right, newLines, '+')],
      },
    ],
  });
  let leftLine = 1;
  let rightLine = 1;
  const rows: DiffRow[] = [
    ...oldLines.map((text): DiffRow => ({ kind: 'removed', left: { line: leftLine++, text }, right: null })),
    ...newLines.map((text): DiffRow => ({ kind: 'added', left: null, right: { line: rightLine++, text } })),
  ];
  const message = `diff too large: more than ${MAX_EDIT_LENGTH} lines differ; shown as a whole-file replacement`;
  return { binary: false, message, unified, rows, added: newLines.length, removed: oldLines.length };
}

function sideBySide(changes: readonly ChangeObject<string>[]): { rows: DiffRow[]; added: number; removed: number } {
  const rows: DiffRow[] = [];
  let leftLine = 1;
  let rightLine = 1;
  let added = 0;
  let removed = 0;
  let pendingRemoved: DiffCell[] = [];
  const flushRemoved = () => {
    for (const cell of pendingRemoved) rows.push({ kind: 'removed', left: cell, right: null });
    pendingRemoved = [];
  };
  for (const change of changes) {
    const lines = splitLines(change.value);
    if (change.removed) {
      removed += lines.length;
      pendingRemoved = lines.map((text) => ({ line: leftLine++, text }));
    } else if (change.added) {
      added += lines.length;
      // A removal followed by an addition pairs up line by line as changes.
      lines.forEach((text, i) => {
        const cell = { line: rightLine++, text };
        const old = pendingRemoved[i];
        rows.push(old ? { kind: 'changed', left: old, right: cell } : { kind: 'added', left: null, right: cell });
      });
      pendingRemoved = pendingRemoved.slice(lines.length);
      flushRemoved();
    } else {
      flushRemoved();
      for (const text of lines) rows.push({ kind: 'context', left: { line: leftLine++, text }, right: { line: rightLine++, text } });
    }
  }
  flushRemoved();
  return { rows, added, removed };
}

const splitLines = (value: string): string[] => {
  const lines = value.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
};
