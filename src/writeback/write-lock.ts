/**
 * Per-(device, path) write locks shared by every process on the same
 * database: a row with a unique key, inserted in a transaction and deleted
 * afterwards; a crashed holder's rows expire. A second writer is refused at
 * once, never queued behind the first (it would overwrite a file it has not
 * seen).
 *
 * A live holder keeps its rows: a heartbeat pushes their expiry forward
 * every third of their lifetime, as the batch journal's lease is renewed,
 * so a batch that runs longer than the lifetime (a slow validation, a
 * thousand files over a slow link) does not lose its locks half-way.
 */
import { ConfwatchError } from '../errors.js';
import type { LockKey } from '../store/writeback.repository.js';
import { displayPath } from '../transport/remote-path.js';
import { DEFAULT_LOCK_TTL_MS, type WritebackDeps } from './writeback-deps.js';

/**
 * Runs `work` holding every lock; rejects CW_ERR_WRITEBACK_CONFLICT when one
 * is held elsewhere. `work` gets `assertHeld`, which rejects when the locks
 * were lost all the same (the database was unreachable for a whole lifetime).
 */
export async function withWriteLock<T>(
  deps: Pick<WritebackDeps, 'repo' | 'lockTtlMs'>,
  keys: readonly LockKey[],
  holder: string,
  work: (assertHeld: () => void) => Promise<T>,
): Promise<T> {
  const ttlMs = deps.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const sorted = [...keys].sort((a, b) => (a.device + a.path < b.device + b.path ? -1 : 1));
  const shown = () => sorted.map((k) => `${k.device}:${displayPath(k.path)}`).join(', ');
  if (!(await deps.repo.tryLock(sorted, holder, ttlMs))) {
    throw new ConfwatchError('CW_ERR_WRITEBACK_CONFLICT', `another write-back of ${shown()} is in progress; try again when it has finished`, {
      details: { locked: sorted },
    });
  }
  let lost = false;
  const heartbeat = setInterval(() => {
    deps.repo.renewLocks(holder, ttlMs).then(
      (held) => {
        if (held < sorted.length) lost = true;
      },
      () => undefined,
    );
  }, Math.max(10, Math.floor(ttlMs / 3)));
  heartbeat.unref();
  const assertHeld = () => {
    if (lost) {
      throw new ConfwatchError('CW_ERR_WRITEBACK_CONFLICT', `the write locks of ${shown()} expired before the write-back could renew them; nothing more was written, try again`);
    }
  };
  try {
    return await work(assertHeld);
  } finally {
    clearInterval(heartbeat);
    await deps.repo.unlock(sorted, holder);
  }
}
