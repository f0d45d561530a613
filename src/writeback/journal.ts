/**
 * The batch journal: what a batch is about to do, written to the database
 * before anything changes on a host and updated at each phase, so that a
 * process killed mid-commit can be repaired at the next start (roll
 * forward when every rename happened, otherwise roll back). The journal
 * holds hashes and snapshot ids, never file contents.
 */
import { hostname } from 'node:os';
import type { SnapshotSource } from '../events/event-map.js';
import type { ConfigType } from '../parsers/parser.js';
import type { WritebackRepository } from '../store/writeback.repository.js';
import type { RemotePath } from '../transport/remote-path.js';

export type BatchPhase = 'prepared' | 'committing' | 'committed' | 'rolled-back' | 'failed';

/** One file of a batch. */
export interface JournalEntry {
  readonly device: string;
  readonly path: RemotePath;
  /** Temp file beside the target holding the new content; null for a delete. */
  readonly tempPath: RemotePath | null;
  /** Hash of the new content; null when the file is deleted. */
  readonly newHash: string | null;
  /** Live hash before the batch (null: the file did not exist). */
  readonly backupHash: string | null;
  /** Snapshot holding the backup content (the latest snapshot, whose hash is backupHash). */
  readonly backupSnapshotId: string | null;
  readonly mode: number;
  readonly uid: number | null;
  readonly gid: number | null;
  readonly configType: ConfigType;
  readonly profile: string;
}

export interface BatchJournal {
  readonly id: string;
  /** `restore`, `batch`, `rollback`, `reconcile`… (the writeback event's operation). */
  readonly operation: string;
  readonly source: SnapshotSource;
  readonly actor: string;
  /** The process running the batch; recovery leaves live owners alone. */
  readonly owner: { readonly host: string; readonly pid: number };
  readonly entries: readonly JournalEntry[];
  /** Devices whose commit script has run, in order. */
  readonly committedDevices: readonly string[];
  readonly phase: BatchPhase;
  readonly error?: string;
  readonly log: readonly { readonly at: string; readonly phase: BatchPhase; readonly device?: string; readonly note?: string }[];
}

/** Persists each phase change before the step it announces. */
export class Journal {
  #state: BatchJournal;
  readonly #repo: WritebackRepository;

  private constructor(repo: WritebackRepository, state: BatchJournal) {
    this.#repo = repo;
    this.#state = state;
  }

  /** Writes a new journal in phase `prepared`. */
  static async create(
    repo: WritebackRepository,
    init: Pick<BatchJournal, 'id' | 'operation' | 'source' | 'actor' | 'entries'>,
  ): Promise<Journal> {
    const state: BatchJournal = {
      ...init,
      owner: { host: hostname(), pid: process.pid },
      committedDevices: [],
      phase: 'prepared',
      log: [{ at: new Date().toISOString(), phase: 'prepared' }],
    };
    await repo.createBatch(init.id, state.phase, state);
    return new Journal(repo, state);
  }

  /** Re-opens a stored journal (recovery). */
  static resume(repo: WritebackRepository, state: BatchJournal): Journal {
    return new Journal(repo, state);
  }

  get state(): BatchJournal {
    return this.#state;
  }

  async phase(phase: BatchPhase, extra: { device?: string; note?: string; error?: string } = {}): Promise<void> {
    const entry = { at: new Date().toISOString(), phase, ...(extra.device ? { device: extra.device } : {}), ...(extra.note ? { note: extra.note } : {}) };
    this.#state = { ...this.#state, phase, ...(extra.error ? { error: extra.error } : {}), log: [...this.#state.log, entry] };
    await this.#repo.updateBatch(this.#state.id, phase, this.#state);
  }

  /** Records that a device's renames all ran. */
  async deviceCommitted(device: string): Promise<void> {
    this.#state = { ...this.#state, committedDevices: [...this.#state.committedDevices, device] };
    await this.#repo.updateBatch(this.#state.id, this.#state.phase, this.#state);
  }
}

/** True when the journal's owner process is certainly gone (same host, pid not alive). */
export function ownerIsGone(journal: BatchJournal, updatedAt: string, staleAfterMs: number, now = Date.now()): boolean {
  if (journal.owner.host === hostname()) {
    if (journal.owner.pid === process.pid) return false;
    try {
      process.kill(journal.owner.pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }
  return now - Date.parse(updatedAt) > staleAfterMs;
}
