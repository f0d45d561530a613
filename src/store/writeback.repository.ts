/**
 * Rows the write-back layer keeps: per-file write locks, batch journals and
 * rollback plans. A small repository over the store's Kysely instance.
 * Journals and plan steps (which carry diffs) are sealed here, so callers
 * pass and get plain values and nothing about contents is stored in clear.
 */
import type { Kysely } from 'kysely';
import type { RemotePath } from '../transport/remote-path.js';
import { sealedColumnName } from './sealed-columns.js';
import type { SealedJson } from './sealed-json.js';
import type { BatchesTable, Database, RollbackPlansTable } from './tables.js';

interface WriteLocksTable {
  device: string;
  path: string;
  holder: string;
  acquired_at: string;
  expires_at: string;
}

/** The owner's lease (migration 0005); null on batches written before it. */
interface BatchLeaseColumns {
  owner_instance: string | null;
  lease_until: string | null;
}

interface WritebackDatabase extends Omit<Database, 'batches'> {
  write_locks: WriteLocksTable;
  batches: BatchesTable & BatchLeaseColumns;
}

/** One file a write-back holds. */
export interface LockKey {
  readonly device: string;
  readonly path: RemotePath;
}

export interface StoredBatch {
  readonly id: string;
  readonly status: string;
  /** The journal document, parsed. */
  readonly journal: unknown;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The instance running the batch, and until when its lease holds (null: a batch from before leases). */
  readonly ownerInstance: string | null;
  readonly leaseUntil: string | null;
}

/** Who runs a batch and until when, unless renewed. */
export interface BatchLease {
  readonly instance: string;
  readonly until: string;
}

export interface StoredPlan {
  readonly id: string;
  readonly device: string;
  readonly target: unknown;
  readonly steps: unknown;
  readonly status: string;
  readonly createdAt: string;
  readonly appliedAt: string | null;
}

/** True for a primary-key or unique violation on SQLite or PostgreSQL. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
}

export class WritebackRepository {
  readonly #db: Kysely<WritebackDatabase>;
  readonly #sealed: SealedJson;

  /** `store`: the KyselyStore (or anything with its database and sealer). */
  constructor(store: { readonly db: Kysely<Database>; readonly sealed: SealedJson }) {
    this.#db = store.db as unknown as Kysely<WritebackDatabase>;
    this.#sealed = store.sealed;
  }

  #sealJournal = (id: string, journal: unknown): string => this.#sealed.seal(journal, journalPlace(id)) as string;
  #sealSteps = (id: string, steps: unknown): string => this.#sealed.seal(steps, stepsPlace(id)) as string;

  /**
   * Takes every lock or none, in one transaction: expired rows of these
   * keys are dropped first (their holder crashed), then all rows are
   * inserted. Returns false when another holder has one of them.
   */
  async tryLock(keys: readonly LockKey[], holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
    if (keys.length === 0) return true;
    const at = now.toISOString();
    const expires = new Date(now.getTime() + ttlMs).toISOString();
    try {
      await this.#db.transaction().execute(async (trx) => {
        for (const key of keys) {
          await trx
            .deleteFrom('write_locks')
            .where('device', '=', key.device)
            .where('path', '=', key.path)
            .where('expires_at', '<', at)
            .execute();
        }
        await trx
          .insertInto('write_locks')
          .values(keys.map((k) => ({ device: k.device, path: k.path, holder, acquired_at: at, expires_at: expires })))
          .execute();
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Pushes the expiry of every lock `holder` has to `ttlMs` from now; returns how many it still has. */
  async renewLocks(holder: string, ttlMs: number, now = new Date()): Promise<number> {
    const result = await this.#db
      .updateTable('write_locks')
      .set({ expires_at: new Date(now.getTime() + ttlMs).toISOString() })
      .where('holder', '=', holder)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Releases this holder's locks (another holder's rows are left alone). */
  async unlock(keys: readonly LockKey[], holder: string): Promise<void> {
    for (const key of keys) {
      await this.#db
        .deleteFrom('write_locks')
        .where('device', '=', key.device)
        .where('path', '=', key.path)
        .where('holder', '=', holder)
        .execute();
    }
  }

  async createBatch(id: string, status: string, journal: unknown, lease?: BatchLease, now = new Date().toISOString()): Promise<void> {
    const row: BatchesTable & BatchLeaseColumns = {
      id,
      status,
      journal: this.#sealJournal(id, journal),
      created_at: now,
      updated_at: now,
      owner_instance: lease?.instance ?? null,
      lease_until: lease?.until ?? null,
    };
    await this.#db.insertInto('batches').values(row).execute();
  }

  /** Extends the lease of a batch this instance owns; false when another instance has taken it over. */
  async renewLease(id: string, lease: BatchLease): Promise<boolean> {
    const result = await this.#db
      .updateTable('batches')
      .set({ lease_until: lease.until })
      .where('id', '=', id)
      .where('owner_instance', '=', lease.instance)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Takes a batch over when its lease ran out before `now` (or it never had
   * one and was last touched before `staleBefore`). One statement, so of two
   * instances recovering at once exactly one wins.
   */
  async takeOverBatch(id: string, lease: BatchLease, now: string, staleBefore: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('batches')
      .set({ owner_instance: lease.instance, lease_until: lease.until })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('lease_until', '<', now), eb.and([eb('lease_until', 'is', null), eb('updated_at', '<', staleBefore)])]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async updateBatch(id: string, status: string, journal: unknown): Promise<void> {
    await this.#db
      .updateTable('batches')
      .set({ status, journal: this.#sealJournal(id, journal), updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async getBatch(id: string): Promise<StoredBatch | undefined> {
    const row = await this.#db.selectFrom('batches').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.#batch(row);
  }

  /** Batches in one of the given states, oldest first. */
  async listBatches(statuses: readonly string[]): Promise<StoredBatch[]> {
    if (statuses.length === 0) return [];
    const rows = await this.#db.selectFrom('batches').selectAll().where('status', 'in', [...statuses]).orderBy('id').execute();
    return rows.map((row) => this.#batch(row));
  }

  async createPlan(plan: Omit<StoredPlan, 'appliedAt'>): Promise<void> {
    const row: RollbackPlansTable = {
      id: plan.id,
      device: plan.device,
      target: JSON.stringify(plan.target),
      steps: this.#sealSteps(plan.id, plan.steps),
      status: plan.status,
      created_at: plan.createdAt,
      applied_at: null,
    };
    await this.#db.insertInto('rollback_plans').values(row).execute();
  }

  async getPlan(id: string): Promise<StoredPlan | undefined> {
    const row = await this.#db.selectFrom('rollback_plans').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      device: row.device,
      target: JSON.parse(row.target),
      steps: this.#sealed.open(row.steps, stepsPlace(row.id)),
      status: row.status,
      createdAt: row.created_at,
      appliedAt: row.applied_at,
    };
  }

  async updatePlan(id: string, status: string, steps: unknown, appliedAt: string | null): Promise<void> {
    await this.#db
      .updateTable('rollback_plans')
      .set({ status, steps: this.#sealSteps(id, steps), applied_at: appliedAt })
      .where('id', '=', id)
      .execute();
  }

  #batch(row: BatchesTable & BatchLeaseColumns): StoredBatch {
    return {
      id: row.id,
      status: row.status,
      journal: this.#sealed.open(row.journal, journalPlace(row.id)),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      ownerInstance: row.owner_instance,
      leaseUntil: row.lease_until,
    };
  }
}

const journalPlace = (id: string) => ({ column: sealedColumnName('batches', 'journal'), row: [id] });
const stepsPlace = (id: string) => ({ column: sealedColumnName('rollback_plans', 'steps'), row: [id] });
