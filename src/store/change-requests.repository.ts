/**
 * Change requests (migration 0016): the requests, their reviews and the
 * approval policy's settings. A request's entries (candidate bytes, diffs,
 * validation and impact) and its outcome (batch errors quote validation
 * output) are sealed here, bound to the request id; callers pass and get
 * plain values. Status moves are compare-and-set on the status read, so two
 * processes approving or applying the same request cannot both win.
 */
import type { Kysely } from 'kysely';
import { ConfwatchError } from '../errors.js';
import { sealedColumnName } from './sealed-columns.js';
import type { SealedJson } from './sealed-json.js';
import type { Database } from './tables.js';

interface ChangeRequestsTable {
  id: string;
  title: string;
  author: string;
  status: string;
  risk_level: string;
  required_approvals: number;
  apply_on_approval: number;
  validate: number;
  reload: number;
  devices: string;
  digest: string;
  revision: number;
  origin: string | null;
  entries: string;
  outcome: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
}

interface ChangeRequestReviewsTable {
  request_id: string;
  reviewer: string;
  decision: string;
  comment: string | null;
  digest: string;
  revision: number;
  at: string;
}

interface ChangeSettingsTable {
  name: string;
  value: string;
  updated_at: string;
}

interface ChangeRequestsDatabase extends Database {
  change_requests: ChangeRequestsTable;
  change_request_reviews: ChangeRequestReviewsTable;
  change_settings: ChangeSettingsTable;
}

/** SPEC §11.2's statuses. */
export const CHANGE_REQUEST_STATUSES = ['pending', 'approved', 'rejected', 'applying', 'applied', 'failed', 'conflict', 'expired', 'cancelled'] as const;
export type ChangeRequestStatus = (typeof CHANGE_REQUEST_STATUSES)[number];

/** A request as stored, its sealed parts opened. `E` is the entry shape, `O` the outcome's (services/change-request.service.ts). */
export interface StoredChangeRequest<E = unknown, O = unknown> {
  readonly id: string;
  readonly title: string;
  readonly author: string;
  readonly status: ChangeRequestStatus;
  readonly riskLevel: string;
  readonly requiredApprovals: number;
  readonly applyOnApproval: boolean;
  readonly validate: boolean;
  readonly reload: boolean;
  /** Devices the request writes to, sorted. */
  readonly devices: readonly string[];
  /** What approvals are bound to: the hash of every entry's target, new content and base (the live hash read at proposal or rebase). */
  readonly digest: string;
  /** Moves forward on every edit and rebase; reviews belong to one revision. */
  readonly revision: number;
  /** Where the request came from (`{kind: 'template', …}`, `{kind: 'drift', …}`); null when proposed directly. */
  readonly origin: Readonly<Record<string, unknown>> | null;
  readonly entries: readonly E[];
  readonly outcome: O | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string;
}

export interface StoredReview {
  readonly requestId: string;
  readonly reviewer: string;
  readonly decision: 'approve' | 'reject';
  readonly comment: string | null;
  /** The request digest the review was given for. */
  readonly digest: string;
  readonly revision: number;
  readonly at: string;
}

export type ChangeRequestPatch<E = unknown, O = unknown> = Partial<
  Pick<StoredChangeRequest<E, O>, 'status' | 'title' | 'riskLevel' | 'requiredApprovals' | 'devices' | 'digest' | 'revision' | 'entries' | 'outcome' | 'expiresAt' | 'validate' | 'reload'>
>;

const isUniqueViolation = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
};

const place = (column: 'entries' | 'outcome', id: string) => ({ column: sealedColumnName('change_requests', column), row: [id] });

export class ChangeRequestRepository {
  readonly #db: Kysely<ChangeRequestsDatabase>;
  readonly #sealed: SealedJson;

  /** `store`: the KyselyStore (or anything with its database and sealer). */
  constructor(store: { readonly db: Kysely<Database>; readonly sealed: SealedJson }) {
    this.#db = store.db as unknown as Kysely<ChangeRequestsDatabase>;
    this.#sealed = store.sealed;
  }

  async insert<E, O>(request: StoredChangeRequest<E, O>): Promise<void> {
    await this.#db
      .insertInto('change_requests')
      .values({
        id: request.id,
        title: request.title,
        author: request.author,
        status: request.status,
        risk_level: request.riskLevel,
        required_approvals: request.requiredApprovals,
        apply_on_approval: request.applyOnApproval ? 1 : 0,
        validate: request.validate ? 1 : 0,
        reload: request.reload ? 1 : 0,
        devices: JSON.stringify(request.devices),
        digest: request.digest,
        revision: request.revision,
        origin: request.origin === null ? null : JSON.stringify(request.origin),
        entries: this.#sealed.seal(request.entries, place('entries', request.id)) as string,
        outcome: this.#sealed.seal(request.outcome, place('outcome', request.id)),
        created_at: request.createdAt,
        updated_at: request.updatedAt,
        expires_at: request.expiresAt,
      })
      .execute();
  }

  async get<E, O>(id: string): Promise<StoredChangeRequest<E, O> | undefined> {
    const row = await this.#db.selectFrom('change_requests').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.#fromRow<E, O>(row);
  }

  /** Newest first; `status` filters. Entries are opened for every row (lists are bounded by `limit`). */
  async list<E, O>(options: { status?: ChangeRequestStatus; limit?: number } = {}): Promise<StoredChangeRequest<E, O>[]> {
    let query = this.#db.selectFrom('change_requests').selectAll();
    if (options.status) query = query.where('status', '=', options.status);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit ?? 200).execute();
    return rows.map((row) => this.#fromRow<E, O>(row));
  }

  /** Requests in one of `statuses` whose expiry passed `now`. */
  async expiredIds(statuses: readonly ChangeRequestStatus[], now: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('change_requests').select('id').where('status', 'in', [...statuses]).where('expires_at', '<=', now).execute();
    return rows.map((r) => r.id);
  }

  /**
   * Updates the request only while its status is one of `from` (and, when
   * given, its revision is `revision`); true when it did.
   */
  async update<E, O>(id: string, from: readonly ChangeRequestStatus[], patch: ChangeRequestPatch<E, O>, at: string, revision?: number): Promise<boolean> {
    let query = this.#db
      .updateTable('change_requests')
      .set({
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(patch.riskLevel !== undefined ? { risk_level: patch.riskLevel } : {}),
        ...(patch.requiredApprovals !== undefined ? { required_approvals: patch.requiredApprovals } : {}),
        ...(patch.devices !== undefined ? { devices: JSON.stringify(patch.devices) } : {}),
        ...(patch.digest !== undefined ? { digest: patch.digest } : {}),
        ...(patch.revision !== undefined ? { revision: patch.revision } : {}),
        ...(patch.validate !== undefined ? { validate: patch.validate ? 1 : 0 } : {}),
        ...(patch.reload !== undefined ? { reload: patch.reload ? 1 : 0 } : {}),
        ...(patch.entries !== undefined ? { entries: this.#sealed.seal(patch.entries, place('entries', id)) as string } : {}),
        ...(patch.outcome !== undefined ? { outcome: this.#sealed.seal(patch.outcome, place('outcome', id)) } : {}),
        ...(patch.expiresAt !== undefined ? { expires_at: patch.expiresAt } : {}),
        updated_at: at,
      })
      .where('id', '=', id)
      .where('status', 'in', [...from]);
    if (revision !== undefined) query = query.where('revision', '=', revision);
    const result = await query.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Requests left `applying` since before `before` (their process stopped mid-apply). */
  async staleApplying(before: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('change_requests').select('id').where('status', '=', 'applying').where('updated_at', '<', before).execute();
    return rows.map((r) => r.id);
  }

  /** Ids of the versions written for the request (snapshots.change_request_id), oldest first. */
  async versionsOf(id: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('snapshots').select('id').where('change_request_id', '=', id).orderBy('id').execute();
    return rows.map((r) => r.id);
  }

  /** Records a review; CW_ERR_ALREADY_EXISTS when this reviewer already reviewed this revision. */
  async addReview(review: StoredReview): Promise<void> {
    try {
      await this.#db
        .insertInto('change_request_reviews')
        .values({
          request_id: review.requestId,
          reviewer: review.reviewer,
          decision: review.decision,
          comment: review.comment,
          digest: review.digest,
          revision: review.revision,
          at: review.at,
        })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConfwatchError('CW_ERR_ALREADY_EXISTS', `${review.reviewer} already reviewed this version of change request ${review.requestId}`);
      throw error;
    }
  }

  /** Every review of the request, all revisions, oldest first. */
  async reviews(requestId: string): Promise<StoredReview[]> {
    const rows = await this.#db.selectFrom('change_request_reviews').selectAll().where('request_id', '=', requestId).orderBy('at').orderBy('reviewer').execute();
    return rows.map((r) => ({
      requestId: r.request_id,
      reviewer: r.reviewer,
      decision: r.decision as StoredReview['decision'],
      comment: r.comment,
      digest: r.digest,
      revision: r.revision,
      at: r.at,
    }));
  }

  /** Every policy setting, by name. */
  async settings(): Promise<Map<string, string>> {
    const rows = await this.#db.selectFrom('change_settings').select(['name', 'value']).execute();
    return new Map(rows.map((r) => [r.name, r.value]));
  }

  /** Sets (or with null removes) a policy setting. */
  async setSetting(name: string, value: string | null, at: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('change_settings').where('name', '=', name).execute();
      if (value !== null) await trx.insertInto('change_settings').values({ name, value, updated_at: at }).execute();
    });
  }

  #fromRow<E, O>(row: ChangeRequestsTable): StoredChangeRequest<E, O> {
    return {
      id: row.id,
      title: row.title,
      author: row.author,
      status: row.status as ChangeRequestStatus,
      riskLevel: row.risk_level,
      requiredApprovals: Number(row.required_approvals),
      applyOnApproval: Number(row.apply_on_approval) === 1,
      validate: Number(row.validate) === 1,
      reload: Number(row.reload) === 1,
      devices: JSON.parse(row.devices) as string[],
      digest: row.digest,
      revision: Number(row.revision),
      origin: row.origin === null ? null : (JSON.parse(row.origin) as Record<string, unknown>),
      entries: (this.#sealed.open(row.entries, place('entries', row.id)) as E[] | null) ?? [],
      outcome: (this.#sealed.open(row.outcome, place('outcome', row.id)) as O | null) ?? null,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      expiresAt: row.expires_at,
    };
  }
}
