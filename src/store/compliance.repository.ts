/**
 * Compliance rows (migrations 0014, 0015): each rule's latest result per
 * file, custom rules, waivers and the per-pack score trend. A finding's message and line quote the file,
 * so they are sealed here (bound to device, path and rule); callers pass
 * and get plain values.
 */
import type { Kysely } from 'kysely';
import { sealedColumnName } from './sealed-columns.js';
import type { SealedJson } from './sealed-json.js';
import type { Database } from './tables.js';

type ComplianceTables = {
  compliance_results: {
    device: string;
    path: string;
    rule: string;
    status: string;
    first_seen: string;
    last_seen: string;
    finding: string | null;
  };
  compliance_rules: { id: string; rule: string; created_by: string; created_at: string };
  compliance_waivers: {
    id: string;
    rule: string;
    device: string;
    path: string | null;
    reason: string;
    expires_at: string | null;
    created_by: string;
    created_at: string;
  };
  compliance_trend: { device: string; pack: string; at: string; pass: number; fail: number; waived: number; error: number; score: number | null };
};

export type ResultStatus = 'pass' | 'fail' | 'waived' | 'error';

/** One rule's result on one file, as evaluated and judged against waivers. */
/** Which of a file's stored results a replacement covers: all by default. */
export interface ResultScope {
  /** Only these rules (results measured on the host, apart from the CEL ones). */
  readonly only?: readonly string[];
  /** Every rule but these. */
  readonly except?: readonly string[];
}

export interface ResultInput {
  readonly rule: string;
  readonly status: ResultStatus;
  readonly message: string | null;
  readonly line: number | null;
}

export interface StoredResult extends ResultInput {
  readonly device: string;
  readonly path: string;
  /** When the rule took its current status on this file. */
  readonly firstSeen: string;
  /** When it was last evaluated. */
  readonly lastSeen: string;
}

/** A result whose status moved; `previous` is null for a rule not evaluated on the file before. */
export interface ResultChange {
  readonly result: StoredResult;
  readonly previous: ResultStatus | null;
}

export interface StoredWaiver {
  readonly id: string;
  readonly rule: string;
  readonly device: string;
  /** Null: every file of the device. */
  readonly path: string | null;
  readonly reason: string;
  /** Null: no expiry. */
  readonly expiresAt: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
}

export interface StoredCustomRule {
  readonly id: string;
  /** The rule document as validated (`ComplianceRule`). */
  readonly rule: unknown;
  readonly createdBy: string;
  readonly createdAt: string;
}

/** A device's counts and score in one pack at one time. */
export interface TrendPoint {
  readonly device: string;
  readonly pack: string;
  readonly at: string;
  readonly pass: number;
  readonly fail: number;
  readonly waived: number;
  readonly error: number;
  /** Passes out of passes and failures, in percent; null when nothing was judged. */
  readonly score: number | null;
}

const FINDING = sealedColumnName('compliance_results', 'finding');

export class ComplianceRepository {
  readonly #db: Kysely<Database & ComplianceTables>;
  readonly #sealed: SealedJson;

  constructor(store: { readonly db: Kysely<Database>; readonly sealed: SealedJson }) {
    this.#db = store.db.withTables<ComplianceTables>();
    this.#sealed = store.sealed;
  }

  /**
   * Replaces a file's results with `results` in one transaction: rules
   * absent from them are dropped (no longer applicable), a rule whose
   * status is unchanged keeps its first-seen time. Returns the results
   * whose status moved.
   */
  async replaceFile(device: string, path: string, results: readonly ResultInput[], at: string, scope: ResultScope = {}): Promise<ResultChange[]> {
    return this.#db.transaction().execute(async (trx) => {
      const inScope = (rule: string) => (!scope.only || scope.only.includes(rule)) && !scope.except?.includes(rule);
      const stored = await trx.selectFrom('compliance_results').select(['rule', 'status', 'first_seen']).where('device', '=', device).where('path', '=', path).execute();
      const before = stored.filter((r) => inScope(r.rule));
      const previous = new Map(before.map((r) => [r.rule, r]));
      if (before.length > 0) {
        await trx
          .deleteFrom('compliance_results')
          .where('device', '=', device)
          .where('path', '=', path)
          .where(
            'rule',
            'in',
            before.map((r) => r.rule),
          )
          .execute();
      }
      const changes: ResultChange[] = [];
      const rows = results.map((r) => {
        const old = previous.get(r.rule);
        const firstSeen = old && old.status === r.status ? old.first_seen : at;
        const finding = r.message === null && r.line === null ? null : { message: r.message, line: r.line };
        if (!old || old.status !== r.status) {
          changes.push({ result: { ...r, device, path, firstSeen, lastSeen: at }, previous: (old?.status as ResultStatus | undefined) ?? null });
        }
        return {
          device,
          path,
          rule: r.rule,
          status: r.status,
          first_seen: firstSeen,
          last_seen: at,
          finding: this.#sealed.seal(finding, { column: FINDING, row: [device, path, r.rule] }),
        };
      });
      for (let i = 0; i < rows.length; i += 100) await trx.insertInto('compliance_results').values(rows.slice(i, i + 100)).execute();
      return changes;
    });
  }

  /** Drops a deleted file's results. */
  async removeFile(device: string, path: string): Promise<void> {
    await this.#db.deleteFrom('compliance_results').where('device', '=', device).where('path', '=', path).execute();
  }

  /** Stored results, of one device or all, ordered by device, path and rule. */
  async results(device?: string): Promise<StoredResult[]> {
    let query = this.#db.selectFrom('compliance_results').selectAll();
    if (device !== undefined) query = query.where('device', '=', device);
    const rows = await query.orderBy('device').orderBy('path').orderBy('rule').execute();
    return rows.map((row) => {
      const finding = this.#sealed.open<{ message: string | null; line: number | null }>(row.finding, { column: FINDING, row: [row.device, row.path, row.rule] });
      return {
        device: row.device,
        path: row.path,
        rule: row.rule,
        status: row.status as ResultStatus,
        message: finding?.message ?? null,
        line: finding?.line ?? null,
        firstSeen: row.first_seen,
        lastSeen: row.last_seen,
      };
    });
  }

  async addRule(id: string, rule: unknown, createdBy: string, at: string): Promise<void> {
    await this.#db.insertInto('compliance_rules').values({ id, rule: JSON.stringify(rule), created_by: createdBy, created_at: at }).execute();
  }

  /** Removes a custom rule and its results; false when there was none. */
  async removeRule(id: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const removed = await trx.deleteFrom('compliance_rules').where('id', '=', id).executeTakeFirst();
      await trx.deleteFrom('compliance_results').where('rule', '=', id).execute();
      return Number(removed.numDeletedRows) > 0;
    });
  }

  async rules(): Promise<StoredCustomRule[]> {
    const rows = await this.#db.selectFrom('compliance_rules').selectAll().orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, rule: JSON.parse(r.rule) as unknown, createdBy: r.created_by, createdAt: r.created_at }));
  }

  async addWaiver(waiver: StoredWaiver): Promise<void> {
    await this.#db
      .insertInto('compliance_waivers')
      .values({
        id: waiver.id,
        rule: waiver.rule,
        device: waiver.device,
        path: waiver.path,
        reason: waiver.reason,
        expires_at: waiver.expiresAt,
        created_by: waiver.createdBy,
        created_at: waiver.createdAt,
      })
      .execute();
  }

  /** Waivers, of one device or all, newest first. */
  async waivers(device?: string): Promise<StoredWaiver[]> {
    let query = this.#db.selectFrom('compliance_waivers').selectAll();
    if (device !== undefined) query = query.where('device', '=', device);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map((r) => ({
      id: r.id,
      rule: r.rule,
      device: r.device,
      path: r.path,
      reason: r.reason,
      expiresAt: r.expires_at,
      createdBy: r.created_by,
      createdAt: r.created_at,
    }));
  }

  /**
   * Appends the points that differ from their pack's latest one (the chart
   * is a step line, so an unchanged hourly run adds nothing). Returns those
   * appended.
   */
  async appendTrend(points: readonly TrendPoint[]): Promise<TrendPoint[]> {
    return this.#db.transaction().execute(async (trx) => {
      const added: TrendPoint[] = [];
      for (const point of points) {
        const last = await trx
          .selectFrom('compliance_trend')
          .select(['pass', 'fail', 'waived', 'error'])
          .where('device', '=', point.device)
          .where('pack', '=', point.pack)
          .orderBy('at', 'desc')
          .limit(1)
          .executeTakeFirst();
        if (last && Number(last.pass) === point.pass && Number(last.fail) === point.fail && Number(last.waived) === point.waived && Number(last.error) === point.error) continue;
        await trx.insertInto('compliance_trend').values({ ...point }).execute();
        added.push(point);
      }
      return added;
    });
  }

  /** Trend points, of one device or all, oldest first; `since` (ISO time) keeps the later ones. */
  async trend(device?: string, since?: string): Promise<TrendPoint[]> {
    let query = this.#db.selectFrom('compliance_trend').selectAll();
    if (device !== undefined) query = query.where('device', '=', device);
    if (since !== undefined) query = query.where('at', '>=', since);
    const rows = await query.orderBy('device').orderBy('at').orderBy('pack').execute();
    return rows.map((r) => ({
      device: r.device,
      pack: r.pack,
      at: r.at,
      pass: Number(r.pass),
      fail: Number(r.fail),
      waived: Number(r.waived),
      error: Number(r.error),
      score: r.score === null ? null : Number(r.score),
    }));
  }
}
