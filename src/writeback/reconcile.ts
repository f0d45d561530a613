/**
 * Automatic reconcile for profiles with `autoReconcile: 'restore'` (off by
 * default): a captured change that moves a file away from its baseline is
 * written back at once. Loop protection: write-back snapshots are never
 * reconciled, a version equal to the baseline is not drift, and the hash
 * this reconciler last wrote for a file is recognised when the file event
 * of its own restore comes back.
 */
import type { SnapshotRecord } from '../store/records.js';
import { baselineHashOf } from './drift.js';
import { type RestoreResult, restoreSnapshot } from './restore.js';
import type { WritebackDeps } from './writeback-deps.js';

/** The sources of the versions a write-back records itself. */
export const WRITEBACK_SOURCES: ReadonlySet<string> = new Set(['restore', 'rollback', 'batch']);
export const RECONCILE_ACTOR = 'auto-reconcile';

export class Reconciler {
  readonly #deps: WritebackDeps;
  /** `device\0path` → content hash this reconciler wrote last. */
  readonly #written = new Map<string, string | null>();

  constructor(deps: WritebackDeps) {
    this.#deps = deps;
  }

  /** Restores the baseline when the snapshot is drift under an auto-reconcile profile; null when nothing was done. */
  async reconcileIfNeeded(snapshot: SnapshotRecord): Promise<RestoreResult | null> {
    if (WRITEBACK_SOURCES.has(snapshot.source)) return null;
    const profile = (await this.#deps.watchSetOf(snapshot.device)).match(snapshot.path)?.profile;
    if (profile?.autoReconcile !== 'restore') return null;
    const tracked = await this.#deps.store.getTrackedFile(snapshot.device, snapshot.path);
    if (!tracked?.baselineSnapshotId || tracked.baselineSnapshotId === snapshot.id) return null;
    const baseline = await this.#deps.store.getSnapshot(tracked.baselineSnapshotId);
    const baselineHash = baselineHashOf(baseline);
    const snapshotHash = snapshot.changeType === 'deleted' ? null : snapshot.contentHash;
    const key = `${snapshot.device}\0${snapshot.path}`;
    if (snapshotHash === baselineHash || (this.#written.has(key) && this.#written.get(key) === snapshotHash)) return null;
    this.#deps.bus.publish('config.drift.detected', snapshot.device, { path: snapshot.path, status: snapshotHash === null ? 'missing' : 'drifted', baselineHash, liveHash: snapshotHash });
    this.#written.set(key, baselineHash);
    const result = await restoreSnapshot(this.#deps, { snapshotId: baseline!.id, actor: RECONCILE_ACTOR, force: true, operation: 'reconcile' });
    this.#deps.bus.publish('config.drift.resolved', snapshot.device, { path: snapshot.path, resolution: 'restore', snapshotId: result.files[0]?.snapshotId ?? null });
    return result;
  }
}
