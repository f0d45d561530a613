/**
 * The batch journal: what a batch is about to do, written to the database
 * before anything changes on a host and updated at each phase, so that a
 * process killed mid-commit can be repaired at the next start (roll
 * forward when every rename happened, otherwise roll back). The journal
 * holds hashes and snapshot ids, never file contents.
 *
 * Its owner is an instance id with a lease the owner keeps renewing while
 * it runs. Recovery takes over only a batch whose lease ran out: a process
 * id proves nothing once a container restarts as PID 1 again.
 */
import { hostname } from 'node:os';
import { ConfwatchError } from '../errors.js';
import type { SnapshotSource } from '../events/event-map.js';
import type { ConfigType } from '../parsers/parser.js';
import { newId } from '../store/ids.js';
import type { BatchLease, StoredBatch, WritebackRepository } from '../store/writeback.repository.js';
import type { RemotePath } from '../transport/remote-path.js';
import type { Ancestor, Writer } from './target-plan.js';

export type BatchPhase = 'prepared' | 'committing' | 'committed' | 'rolled-back' | 'failed';

/** This process's instance id: what a lease names (another process, or this one restarted, has another). */
export const PROCESS_INSTANCE = newId();

/** How long a lease holds without renewal. */
export const DEFAULT_LEASE_MS = 60_000;

/** One file of a batch. */
export interface JournalEntry {
  readonly device: string;
  /** The tracked path (hash checks; a delete removes it). */
  readonly path: RemotePath;
  /** Where new content goes: `path`, or the watched file a link at `path` leads to. */
  readonly writePath: RemotePath;
  /** Private temp directory beside writePath holding the new content; null for a delete. */
  readonly tempDir: RemotePath | null;
  /** Hash of the new content; null when the file is deleted. */
  readonly newHash: string | null;
  /** Live hash before the batch (null: the file did not exist). */
  readonly backupHash: string | null;
  /** Snapshot holding the backup content (the latest snapshot, whose hash is backupHash). */
  readonly backupSnapshotId: string | null;
  /** Mode, uid and gid of the new file. */
  readonly mode: number;
  readonly uid: number | null;
  readonly gid: number | null;
  /** Mode, uid and gid of the live file before the batch (null: it did not exist). */
  readonly backupMode: number | null;
  readonly backupUid: number | null;
  readonly backupGid: number | null;
  /** Non-root user every step on this file runs as; null: the login user. */
  readonly writer: Writer | null;
  /** writePath's ancestors as prepare saw them (the commit refuses any change). */
  readonly ancestors: readonly Ancestor[];
  readonly configType: ConfigType;
  readonly profile: string;
}

export interface BatchJournal {
  readonly id: string;
  /** `restore`, `batch`, `rollback`, `reconcile`… (the writeback event's operation). */
  readonly operation: string;
  readonly source: SnapshotSource;
  readonly actor: string;
  /** The change request the batch applies, recorded on every version it stores. */
  readonly changeRequestId?: string;
  /** Who started the batch, for people reading the journal; recovery goes by the lease, not by these. */
  readonly owner: { readonly host: string; readonly pid: number; readonly instance: string };
  readonly entries: readonly JournalEntry[];
  /** Devices whose commit script has run, in order. */
  readonly committedDevices: readonly string[];
  readonly phase: BatchPhase;
  readonly error?: string;
  readonly log: readonly { readonly at: string; readonly phase: BatchPhase; readonly device?: string; readonly note?: string }[];
}

export interface LeaseOptions {
  /** The instance that owns the batch. Default PROCESS_INSTANCE. */
  readonly instance?: string;
  /** Lease length; renewed every third of it. Default DEFAULT_LEASE_MS. */
  readonly leaseMs?: number;
}

/** Persists each phase change before the step it announces, and renews the lease while open. */
export class Journal {
  #state: BatchJournal;
  readonly #repo: WritebackRepository;
  readonly #instance: string;
  readonly #leaseMs: number;
  #timer: NodeJS.Timeout | null = null;
  #lost = false;

  private constructor(repo: WritebackRepository, state: BatchJournal, lease: LeaseOptions) {
    this.#repo = repo;
    this.#state = state;
    this.#instance = lease.instance ?? PROCESS_INSTANCE;
    this.#leaseMs = lease.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** Writes a new journal in phase `prepared` and starts renewing its lease. */
  static async create(
    repo: WritebackRepository,
    init: Pick<BatchJournal, 'id' | 'operation' | 'source' | 'actor' | 'entries' | 'changeRequestId'>,
    lease: LeaseOptions = {},
  ): Promise<Journal> {
    const journal = new Journal(repo, {
      ...init,
      owner: { host: hostname(), pid: process.pid, instance: lease.instance ?? PROCESS_INSTANCE },
      committedDevices: [],
      phase: 'prepared',
      log: [{ at: new Date().toISOString(), phase: 'prepared' }],
    }, lease);
    await repo.createBatch(init.id, 'prepared', journal.#state, journal.#lease());
    journal.#startRenewing();
    return journal;
  }

  /**
   * Takes over a stored batch whose lease ran out (or, for a batch from
   * before leases, that was last touched more than staleAfterMs ago) and
   * starts renewing the lease; null when its owner still holds it or
   * another instance took it first.
   */
  static async takeOver(repo: WritebackRepository, stored: StoredBatch, staleAfterMs: number, lease: LeaseOptions = {}, now = Date.now()): Promise<Journal | null> {
    const journal = new Journal(repo, fromStored(stored.journal as BatchJournal), lease);
    const taken = await repo.takeOverBatch(stored.id, journal.#lease(now), new Date(now).toISOString(), new Date(now - staleAfterMs).toISOString());
    if (!taken) return null;
    journal.#startRenewing();
    return journal;
  }

  get state(): BatchJournal {
    return this.#state;
  }

  async phase(phase: BatchPhase, extra: { device?: string; note?: string; error?: string } = {}): Promise<void> {
    this.#assertOwned();
    const entry = { at: new Date().toISOString(), phase, ...(extra.device ? { device: extra.device } : {}), ...(extra.note ? { note: extra.note } : {}) };
    this.#state = { ...this.#state, phase, ...(extra.error ? { error: extra.error } : {}), log: [...this.#state.log, entry] };
    await this.#repo.updateBatch(this.#state.id, phase, this.#state);
  }

  /** Records that a device's renames all ran. */
  async deviceCommitted(device: string): Promise<void> {
    this.#assertOwned();
    this.#state = { ...this.#state, committedDevices: [...this.#state.committedDevices, device] };
    await this.#repo.updateBatch(this.#state.id, this.#state.phase, this.#state);
  }

  /**
   * Stops renewing and lets the lease lapse at once: the batch is over, or
   * given up (`failed`) for recovery to finish without waiting.
   */
  async release(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (!this.#lost) await this.#repo.renewLease(this.#state.id, { instance: this.#instance, until: new Date(0).toISOString() }).catch(() => undefined);
  }

  #lease(now = Date.now()): BatchLease {
    return { instance: this.#instance, until: new Date(now + this.#leaseMs).toISOString() };
  }

  #startRenewing(): void {
    this.#timer = setInterval(() => {
      this.#repo.renewLease(this.#state.id, this.#lease()).then(
        (held) => {
          if (!held) this.#lost = true;
        },
        () => undefined,
      );
    }, Math.max(10, Math.floor(this.#leaseMs / 3)));
    this.#timer.unref();
  }

  // A batch another instance took over must not take another step.
  #assertOwned(): void {
    if (this.#lost) {
      throw new ConfwatchError('CW_ERR_WRITEBACK_FAILED', `batch ${this.#state.id} was taken over by recovery elsewhere after its lease ran out; this instance stopped`);
    }
  }
}

/** A stored journal with the fields batches written before leases and writers lack filled in. */
function fromStored(state: BatchJournal): BatchJournal {
  return {
    ...state,
    entries: state.entries.map((e) => ({
      ...e,
      writePath: e.writePath ?? e.path,
      tempDir: e.tempDir ?? null,
      backupMode: e.backupMode ?? null,
      backupUid: e.backupUid ?? e.uid,
      backupGid: e.backupGid ?? e.gid,
      writer: e.writer ?? null,
      ancestors: e.ancestors ?? [],
    })),
  };
}
