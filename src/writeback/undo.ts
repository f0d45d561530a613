/**
 * Puts files back as they were before a batch, from the backups the store
 * holds. Idempotent: a file whose live hash already equals its backup is
 * left alone, so undo can run again after a partial failure or a crash;
 * so is a file that holds neither the backup nor the batch's content
 * (someone else changed it: not the batch's to undo). Each file is put back
 * through the same checked path as the batch (fresh directory checks,
 * private temp directory, rename as the writer).
 */
import { displayPath } from '../transport/remote-path.js';
import type { DeviceRecord } from '../store/records.js';
import type { Transport } from '../transport/transport.js';
import type { JournalEntry } from './journal.js';
import { liveHash, observeFiles, scopeFor } from './live-state.js';
import { commitDevice, randomTempToken, removeTemps, tempDirFor, uploadTemp } from './remote-scripts.js';
import { asWriter, decideWriter, gatherFacts } from './target-plan.js';
import type { WritebackDeps } from './writeback-deps.js';
import { createLogger } from '../logging.js';
import { sh } from '../transport/quote.js';
import { sha256Hex } from '../hash.js';

const log = createLogger('writeback.undo');

/** Restores every entry's backup; true when every file is back (unreachable hosts make it false). */
export async function undoEntries(
  deps: Pick<WritebackDeps, 'store' | 'watchSetOf'>,
  entries: readonly JournalEntry[],
  devices: ReadonlyMap<string, DeviceRecord>,
  transportOf: (device: DeviceRecord) => Promise<Transport>,
): Promise<boolean> {
  let complete = true;
  for (const [name, device] of devices) {
    const mine = entries.filter((e) => e.device === name);
    try {
      const transport = await transportOf(device);
      const lives = await observeFiles(transport, mine.map((e) => e.path), {
        sudo: device.sudo,
        scope: await scopeFor(deps, name),
        writers: mine.map((e) => e.writer),
      });
      for (const [i, entry] of mine.entries()) {
        const live = liveHash(lives[i]!);
        if (live === entry.backupHash || live !== entry.newHash) continue;
        await restoreBackup(deps, transport, device, entry);
      }
    } catch (error) {
      complete = false;
      log.error({ device: name, err: (error as Error).message }, 'undo incomplete');
    }
  }
  return complete;
}

async function restoreBackup(deps: Pick<WritebackDeps, 'store' | 'watchSetOf'>, transport: Transport, device: DeviceRecord, entry: JournalEntry): Promise<void> {
  const { session, facts } = await gatherFacts(transport, [entry.writePath], device.sudo);
  const decision = decideWriter(facts[0]!.ancestors, session, { uid: entry.backupUid, gid: entry.backupGid });
  if (!decision.ok) throw new Error(`putting back ${displayPath(entry.writePath)} was refused: ${decision.reason}`);
  const { writer } = decision;
  if (entry.backupHash === null) {
    const result = await transport.run(asWriter(writer, sh`rm -f -- ${entry.writePath}`), { ...(device.sudo ? { sudo: true } : {}) });
    if (result.code !== 0) throw new Error(`removing ${displayPath(entry.writePath)} failed: ${result.stderr.toString('utf8').trim()}`);
    return;
  }
  const content = await deps.store.readContent({ contentHash: entry.backupHash });
  const tempDir = tempDirFor(entry.writePath, randomTempToken());
  const ancestors = facts[0]!.ancestors;
  try {
    await uploadTemp(
      transport,
      {
        tempDir,
        content,
        mode: entry.backupMode ?? entry.mode,
        uid: entry.backupUid,
        gid: entry.backupGid,
        writer,
        missing: ancestors.filter((a) => a.mark === null).map((a) => a.path),
      },
      sha256Hex(content),
      device.sudo,
    );
    const outcome = await commitDevice(transport, [{ path: entry.writePath, writePath: entry.writePath, tempDir, expectedLiveHash: undefined, writer, ancestors }], device.sudo);
    if (!outcome.ok) throw new Error(`putting back ${displayPath(entry.writePath)} failed: ${outcome.message}`);
  } finally {
    await removeTemps(transport, [{ tempDir, writer }], device.sudo);
  }
}
