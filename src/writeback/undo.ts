/**
 * Puts files back as they were before a batch, from the backups the store
 * holds. Idempotent: a file whose live hash already equals its backup is
 * left alone, so undo can run again after a partial failure or a crash.
 */
import { displayPath } from '../transport/remote-path.js';
import { sh } from '../transport/quote.js';
import type { DeviceRecord } from '../store/records.js';
import type { Transport } from '../transport/transport.js';
import type { JournalEntry } from './journal.js';
import { liveHash, observeFiles } from './live-state.js';
import type { WritebackDeps } from './writeback-deps.js';
import { createLogger } from '../logging.js';

const log = createLogger('writeback.undo');

/** Restores every entry's backup; true when every file is back (unreachable hosts make it false). */
export async function undoEntries(
  deps: Pick<WritebackDeps, 'store'>,
  entries: readonly JournalEntry[],
  devices: ReadonlyMap<string, DeviceRecord>,
  transportOf: (device: DeviceRecord) => Promise<Transport>,
): Promise<boolean> {
  let complete = true;
  for (const [name, device] of devices) {
    const mine = entries.filter((e) => e.device === name);
    try {
      const transport = await transportOf(device);
      const lives = await observeFiles(transport, mine.map((e) => e.path), { sudo: device.sudo });
      for (const [i, entry] of mine.entries()) {
        if (liveHash(lives[i]!) === entry.backupHash) continue;
        await restoreBackup(deps, transport, device, entry);
      }
    } catch (error) {
      complete = false;
      log.error({ device: name, err: (error as Error).message }, 'undo incomplete');
    }
  }
  return complete;
}

async function restoreBackup(deps: Pick<WritebackDeps, 'store'>, transport: Transport, device: DeviceRecord, entry: JournalEntry): Promise<void> {
  if (entry.backupHash === null) {
    const result = await transport.run(sh`rm -f -- ${entry.path}`, { ...(device.sudo ? { sudo: true } : {}) });
    if (result.code !== 0) throw new Error(`removing ${displayPath(entry.path)} failed: ${result.stderr.toString('utf8').trim()}`);
    return;
  }
  const backup = entry.backupSnapshotId ? await deps.store.getSnapshot(entry.backupSnapshotId) : undefined;
  const content = await deps.store.readContent({ contentHash: entry.backupHash });
  await transport.writeFileAtomic(entry.path, content, {
    mode: backup?.mode ?? entry.mode,
    ...(backup?.uid != null ? { uid: backup.uid } : entry.uid !== null ? { uid: entry.uid } : {}),
    ...(backup?.gid != null ? { gid: backup.gid } : entry.gid !== null ? { gid: entry.gid } : {}),
    mkdirs: true,
    sudo: device.sudo,
  });
}
