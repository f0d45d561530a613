/**
 * Per-(device, path) write locks shared by every process on the same
 * database: a row with a unique key, inserted in a transaction and deleted
 * afterwards; a crashed holder's rows expire. A second writer is refused at
 * once, never queued behind the first (it would overwrite a file it has not
 * seen).
 */
import { ConfwatchError } from '../errors.js';
import type { LockKey } from '../store/writeback.repository.js';
import { displayPath } from '../transport/remote-path.js';
import { DEFAULT_LOCK_TTL_MS, type WritebackDeps } from './writeback-deps.js';

/** Runs `work` holding every lock; rejects CW_ERR_WRITEBACK_CONFLICT when one is held elsewhere. */
export async function withWriteLock<T>(
  deps: Pick<WritebackDeps, 'repo' | 'lockTtlMs'>,
  keys: readonly LockKey[],
  holder: string,
  work: () => Promise<T>,
): Promise<T> {
  const sorted = [...keys].sort((a, b) => (a.device + a.path < b.device + b.path ? -1 : 1));
  if (!(await deps.repo.tryLock(sorted, holder, deps.lockTtlMs ?? DEFAULT_LOCK_TTL_MS))) {
    const shown = sorted.map((k) => `${k.device}:${displayPath(k.path)}`).join(', ');
    throw new ConfwatchError('CW_ERR_WRITEBACK_CONFLICT', `another write-back of ${shown} is in progress; try again when it has finished`, {
      details: { locked: sorted },
    });
  }
  try {
    return await work();
  } finally {
    await deps.repo.unlock(sorted, holder);
  }
}
