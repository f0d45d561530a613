/**
 * Repairs batches whose process died (crash, kill, power loss) at the next
 * start: a batch that was committing with every rename done is rolled
 * forward (its snapshots recorded); anything else is rolled back from the
 * backups. Temp files left on hosts are removed either way. A batch is
 * taken over only once its owner's lease has run out (or its owner gave it
 * up as `failed`), whatever process ids say.
 */
import { transportPool } from './transport-pool.js';
import type { DeviceRecord } from '../store/records.js';
import type { Transport } from '../transport/transport.js';
import { type BatchJournal, Journal } from './journal.js';
import { liveHash, observeFiles, readLive, scopeFor } from './live-state.js';
import { recordOutcome } from './outcome.js';
import { removeAllTemps } from './batch.js';
import { undoEntries } from './undo.js';
import { DEFAULT_LOCK_TTL_MS, DEFAULT_MAX_BACKUP_BYTES, type WritebackDeps } from './writeback-deps.js';

export interface RecoveredBatch {
  readonly batchId: string;
  readonly outcome: 'rolled-forward' | 'rolled-back' | 'pending';
}

/** Repairs every abandoned batch; one that cannot be repaired now (host down) stays for the next start. */
export async function recoverBatches(deps: WritebackDeps): Promise<RecoveredBatch[]> {
  const results: RecoveredBatch[] = [];
  for (const stored of await deps.repo.listBatches(['prepared', 'committing', 'failed'])) {
    const journal = await Journal.takeOver(deps.repo, stored, deps.lockTtlMs ?? DEFAULT_LOCK_TTL_MS, {
      ...(deps.instanceId ? { instance: deps.instanceId } : {}),
      ...(deps.leaseMs ? { leaseMs: deps.leaseMs } : {}),
    });
    if (!journal) continue;
    try {
      const outcome = await recoverOne(deps, journal);
      // the dead owner's write locks would otherwise block these files until they expire
      if (outcome !== 'pending') await deps.repo.unlock(journal.state.entries.map((e) => ({ device: e.device, path: e.path })), stored.id);
      results.push({ batchId: stored.id, outcome });
    } finally {
      await journal.release();
    }
  }
  return results;
}

async function recoverOne(deps: WritebackDeps, journal: Journal): Promise<RecoveredBatch['outcome']> {
  const { state } = journal;
  const devices = new Map<string, DeviceRecord>();
  for (const name of new Set(state.entries.map((e) => e.device))) {
    const device = await deps.store.getDevice(name);
    if (device) devices.set(name, device);
  }
  const pool = transportPool((device) => deps.transportFor(device));
  const { transportOf } = pool;
  try {
    if (state.phase === 'committing' && (await allRenamed(deps, state, devices, transportOf))) {
      await recordOutcome(deps, state, {
        // what was renamed into place, read as it was written: never through a link at the watched name
        contentOf: async (e) => {
          const device = devices.get(e.device)!;
          const options = { sudo: device.sudo, scope: await scopeFor(deps, e.device), writer: e.writer };
          return readLive(await transportOf(device), e.writePath, deps.maxBackupBytes ?? DEFAULT_MAX_BACKUP_BYTES, options).catch(() => null);
        },
        transportOf,
        devices,
      });
      await journal.phase('committed', { note: 'rolled forward at recovery' });
      return 'rolled-forward';
    }
    const undone = await undoEntries(deps, state.entries, devices, transportOf);
    if (!undone || !(await removeAllTemps(state.entries, devices, transportOf))) return 'pending';
    await journal.phase('rolled-back', { note: 'rolled back at recovery' });
    return 'rolled-back';
  } catch {
    return 'pending';
  } finally {
    await removeAllTemps(state.entries, devices, transportOf);
    await pool.closeAll();
  }
}

async function allRenamed(
  deps: WritebackDeps,
  state: BatchJournal,
  devices: ReadonlyMap<string, DeviceRecord>,
  transportOf: (device: DeviceRecord) => Promise<Transport>,
): Promise<boolean> {
  if (devices.size !== new Set(state.entries.map((e) => e.device)).size) return false;
  for (const [name, device] of devices) {
    const entries = state.entries.filter((e) => e.device === name);
    const lives = await observeFiles(await transportOf(device), entries.map((e) => e.path), {
      sudo: device.sudo,
      scope: await scopeFor(deps, name),
      writers: entries.map((e) => e.writer),
    });
    if (entries.some((e, i) => liveHash(lives[i]!) !== e.newHash)) return false;
  }
  return true;
}
