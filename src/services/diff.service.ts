/**
 * Diff between two snapshots: a unified text diff and structured rows that
 * a UI renders side by side. Content is bytes: when either side is not
 * text (NUL bytes or invalid UTF-8) no line diff is attempted and a
 * readable message says so. Callers without `secrets:view` get the
 * redacted form.
 */
import { createTwoFilesPatch, diffLines } from 'diff';
import { redactText, redactUnifiedDiff } from '../auth/redact.js';
import { ConfwatchError } from '../errors.js';
import type { SnapshotRecord } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { displayPath } from '../transport/remote-path.js';

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
  /** Why there is no line diff (binary or content not stored); absent otherwise. */
  readonly message?: string;
  readonly unified: string;
  readonly rows: DiffRow[];
  readonly added: number;
  readonly removed: number;
}

export interface SnapshotDiff extends ContentDiff {
  readonly from: Pick<SnapshotRecord, 'id' | 'device' | 'path' | 'contentHash' | 'detectedAt'>;
  readonly to: Pick<SnapshotRecord, 'id' | 'device' | 'path' | 'contentHash' | 'detectedAt'>;
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
  const unified = createTwoFilesPatch(names.from, names.to, left, right, undefined, undefined, { context: 3 });
  const { rows, added, removed } = sideBySide(left, right);
  return { binary: false, unified, rows, added, removed };
}

/** Applies secret redaction to a diff, for callers without `secrets:view`. */
export function redactDiff<T extends ContentDiff>(diff: T): T {
  const redactSide = (side: 'left' | 'right') => {
    const cells = diff.rows.map((row) => row[side]).filter((cell): cell is DiffCell => cell !== null);
    return redactText(cells.map((cell) => cell.text).join('\n')).split('\n');
  };
  const leftTexts = redactSide('left');
  const rightTexts = redactSide('right');
  let l = 0;
  let r = 0;
  const rows = diff.rows.map((row) => ({
    kind: row.kind,
    left: row.left && { line: row.left.line, text: leftTexts[l++] as string },
    right: row.right && { line: row.right.line, text: rightTexts[r++] as string },
  }));
  return { ...diff, unified: redactUnifiedDiff(diff.unified), rows };
}

function sideBySide(left: string, right: string): { rows: DiffRow[]; added: number; removed: number } {
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
  for (const change of diffLines(left, right)) {
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

export class DiffService {
  readonly #store: Pick<SnapshotStore, 'getSnapshot' | 'readContent'>;

  constructor(store: Pick<SnapshotStore, 'getSnapshot' | 'readContent'>) {
    this.#store = store;
  }

  /**
   * Diffs two snapshots (usually of one file, but any two work). Unknown
   * ids → CW_ERR_NOT_FOUND. Tombstones diff as empty files; a version whose
   * content was not stored (over the size limit) yields a message instead.
   */
  async diff(fromId: string, toId: string, options: { redact?: boolean } = {}): Promise<SnapshotDiff> {
    const [from, to] = await Promise.all([this.#snapshot(fromId), this.#snapshot(toId)]);
    const pick = (s: SnapshotRecord) => ({ id: s.id, device: s.device, path: s.path, contentHash: s.contentHash, detectedAt: s.detectedAt });
    const missing = [from, to].find((s) => !s.hasContent && s.contentHash !== null);
    if (missing) {
      const message = `the content of snapshot ${missing.id} was not stored (larger than the profile's size limit); only hashes can be compared`;
      return { from: pick(from), to: pick(to), binary: false, message, unified: '', rows: [], added: 0, removed: 0 };
    }
    const [before, after] = await Promise.all([this.#content(from), this.#content(to)]);
    const diff = diffContents(before, after, { from: `${from.device}:${displayPath(from.path)}@${from.id}`, to: `${to.device}:${displayPath(to.path)}@${to.id}` });
    const result = { from: pick(from), to: pick(to), ...diff };
    return options.redact ? redactDiff(result) : result;
  }

  async #snapshot(id: string): Promise<SnapshotRecord> {
    const snapshot = await this.#store.getSnapshot(id);
    if (!snapshot) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown snapshot "${id}"; see \`confwatch history\``);
    return snapshot;
  }

  #content(snapshot: SnapshotRecord): Promise<Buffer> {
    return snapshot.contentHash === null ? Promise.resolve(Buffer.alloc(0)) : this.#store.readContent(snapshot);
  }
}
