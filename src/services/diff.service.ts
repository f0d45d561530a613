/**
 * Diff between two snapshots (analysis/content-diff.ts computes it, in the
 * analysis pool when one is given). Callers without `secrets:view` get the
 * redacted form.
 */
import { type ContentDiff, type DiffCell, diffContents } from '../analysis/content-diff.js';
import { redactText, redactUnifiedDiff } from '../auth/redact.js';
import type { AnalysisPool } from '../compute/analysis-pool.js';
import { ConfwatchError } from '../errors.js';
import type { SnapshotRecord } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { displayPath } from '../transport/remote-path.js';

export { type ContentDiff, type DiffCell, type DiffRow, decodeText, diffContents } from '../analysis/content-diff.js';

export interface SnapshotDiff extends ContentDiff {
  readonly from: Pick<SnapshotRecord, 'id' | 'device' | 'path' | 'contentHash' | 'detectedAt'>;
  readonly to: Pick<SnapshotRecord, 'id' | 'device' | 'path' | 'contentHash' | 'detectedAt'>;
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

export class DiffService {
  readonly #store: Pick<SnapshotStore, 'getSnapshot' | 'readContent'>;
  readonly #pool: Pick<AnalysisPool, 'contentDiff'> | undefined;

  /** Without a pool the diff runs in process (still bounded in edits and time, but on the caller's thread). */
  constructor(store: Pick<SnapshotStore, 'getSnapshot' | 'readContent'>, pool?: Pick<AnalysisPool, 'contentDiff'>) {
    this.#store = store;
    this.#pool = pool;
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
    const names = { from: `${from.device}:${displayPath(from.path)}@${from.id}`, to: `${to.device}:${displayPath(to.path)}@${to.id}` };
    const diff = await this.#contentDiff(before, after, names);
    const result = { from: pick(from), to: pick(to), ...diff };
    return options.redact ? redactDiff(result) : result;
  }

  async #contentDiff(before: Buffer, after: Buffer, names: { from: string; to: string }): Promise<ContentDiff> {
    if (!this.#pool) return diffContents(before, after, names);
    const outcome = await this.#pool.contentDiff(before, after, names);
    if (outcome.ok) return outcome.value;
    const message = `diff skipped: over budget (${outcome.budget}, ${outcome.limit}); compare the versions with \`confwatch show\``;
    return { binary: false, message, unified: '', rows: [], added: 0, removed: 0 };
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
