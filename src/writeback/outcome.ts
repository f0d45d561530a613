/**
 * Records a committed batch: one snapshot per file (source batch / restore
 * / rollback, the actor, and the new baseline), validation results on
 * them, and `config.changed` plus one `writeback.applied` per device.
 */
import { announceVersion } from '../detect/capture.js';
import type { DeviceRecord, ValidationResult } from '../store/records.js';
import type { NewSnapshot } from '../store/snapshot-store.js';
import type { Transport } from '../transport/transport.js';
import type { BatchJournal, JournalEntry } from './journal.js';
import { observeFiles, scopeFor } from './live-state.js';
import type { WritebackDeps } from './writeback-deps.js';

export interface OutcomeSources {
  /** The new content of an entry (null for deletes). */
  contentOf(entry: JournalEntry): Promise<Buffer | null>;
  transportOf(device: DeviceRecord): Promise<Transport>;
  readonly devices: ReadonlyMap<string, DeviceRecord>;
  /** Validation per entry, in entry order (recovery has none). */
  readonly validations?: readonly (ValidationResult | null)[];
}

/** Stores the snapshots and publishes the events; returns snapshot ids keyed `device\0path`. */
export async function recordOutcome(deps: WritebackDeps, journal: BatchJournal, sources: OutcomeSources): Promise<Map<string, string>> {
  const detectedAt = new Date().toISOString();
  const inputs: NewSnapshot[] = [];
  for (const [name, device] of sources.devices) {
    const entries = journal.entries.filter((e) => e.device === name);
    // the stat of what was written: a link's target, not the link
    const lives = await observeFiles(await sources.transportOf(device), entries.map((e) => e.writePath), {
      sudo: device.sudo,
      scope: await scopeFor(deps, name),
      writers: entries.map((e) => e.writer),
    });
    for (const [i, entry] of entries.entries()) {
      const live = lives[i]!;
      const stat = live.kind === 'present' ? live.stat : null;
      const content = entry.newHash === null ? undefined : ((await sources.contentOf(entry)) ?? undefined);
      inputs.push({
        device: name,
        path: entry.path,
        configType: entry.configType,
        profile: entry.profile,
        changeType: entry.newHash === null ? 'deleted' : entry.backupHash === null ? 'created' : 'modified',
        source: journal.source,
        ...(content ? { content } : { contentHash: entry.newHash }),
        ...(stat ? { size: stat.size, mode: stat.mode, uid: stat.uid, gid: stat.gid, mtimeMs: stat.mtimeMs, ino: stat.ino } : {}),
        actor: journal.actor,
        ...(journal.changeRequestId ? { changeRequestId: journal.changeRequestId } : {}),
        detectedAt,
        setBaseline: true,
      });
    }
  }
  const stored = await deps.store.recordSnapshots(inputs);
  const ids = new Map<string, string>();
  for (const snapshot of stored) {
    ids.set(`${snapshot.device}\0${snapshot.path}`, snapshot.id);
    const index = journal.entries.findIndex((e) => e.device === snapshot.device && e.path === snapshot.path);
    const validation = sources.validations?.[index] ?? null;
    if (validation) {
      await deps.store.annotateSnapshot(snapshot.id, { validation });
      await deps.store.updateTrackedFile(snapshot.device, snapshot.path, { validationStatus: validation.status });
    } else if (snapshot.changeType !== 'deleted') {
      await deps.store.updateTrackedFile(snapshot.device, snapshot.path, { validationStatus: 'skipped' });
    }
    announceVersion(deps.bus, snapshot);
  }
  for (const name of sources.devices.keys()) {
    const mine = stored.filter((s) => s.device === name);
    deps.bus.publish('writeback.applied', name, { operation: journal.operation, paths: mine.map((s) => s.path), snapshotIds: mine.map((s) => s.id) });
  }
  return ids;
}
