/**
 * Rows of the alerts feature: channels, rules and the delivery outbox
 * (migration 0013). Channel URLs (they hold tokens) and delivery payloads
 * (they carry redacted diff excerpts) are sealed here, so callers pass and
 * get plain values. A delivery is unique per (channel, dedup key): queueing
 * one again is a no-op, which is what makes delivery exactly once per
 * channel and key across retries and restarts.
 */
import type { Kysely } from 'kysely';
import { ConfwatchError } from '../errors.js';
import { newId } from './ids.js';
import { sealedColumnName } from './sealed-columns.js';
import type { SealedJson } from './sealed-json.js';
import type { Database } from './tables.js';

interface AlertChannelsTable {
  name: string;
  kind: string;
  url: string;
  min_risk: string | null;
  created_at: string;
}

interface AlertRulesTable {
  name: string;
  spec: string;
  created_at: string;
}

interface AlertDeliveriesTable {
  id: string;
  channel: string;
  event: string;
  device: string;
  risk_level: string;
  dedup_key: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  hold_group: string | null;
  last_error: string | null;
  receiver_status: string | null;
  payload: string;
  created_at: string;
  updated_at: string;
}

interface AlertsDatabase extends Database {
  alert_channels: AlertChannelsTable;
  alert_rules: AlertRulesTable;
  alert_deliveries: AlertDeliveriesTable;
}

export interface StoredChannel {
  readonly name: string;
  readonly kind: string;
  /** The full URL, secrets included: never shown as is (see alerts/channel-url.ts redactChannelUrl). */
  readonly url: string;
  /** The channel's own threshold (`--min-risk`); null: its kind's default. */
  readonly minRisk: string | null;
  readonly createdAt: string;
}

export interface StoredRule {
  readonly name: string;
  /** The rule's settings as given (alerts/policy.ts AlertRule). */
  readonly spec: unknown;
  readonly createdAt: string;
}

/** queued → sent | failed; held (digest, quiet hours) → queued or folded into a summary (suppressed). */
export type DeliveryStatus = 'queued' | 'held' | 'sent' | 'failed' | 'suppressed';

export interface NewDelivery {
  readonly channel: string;
  readonly event: string;
  readonly device: string;
  readonly riskLevel: string;
  readonly dedupKey: string;
  readonly status: DeliveryStatus;
  /** When to send (queued) or release (held). */
  readonly nextAttemptAt: string;
  /** The digest or quiet-hours group a held delivery waits in. */
  readonly holdGroup?: string | null;
  /** Why a delivery was suppressed, or the last send error. */
  readonly lastError?: string | null;
  readonly payload: unknown;
}

export interface StoredDelivery extends Required<Omit<NewDelivery, 'status'>> {
  readonly id: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** The receiver's last answer: an HTTP status or an SMTP reply code. */
  readonly receiverStatus: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface DeliveryPatch {
  readonly status: DeliveryStatus;
  readonly attempts?: number;
  readonly nextAttemptAt?: string;
  readonly lastError?: string | null;
  readonly receiverStatus?: string | null;
}

/** True for a primary-key or unique violation on SQLite or PostgreSQL. */
const isUniqueViolation = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
};

const urlPlace = (name: string) => ({ column: sealedColumnName('alert_channels', 'url'), row: [name] });
const payloadPlace = (id: string) => ({ column: sealedColumnName('alert_deliveries', 'payload'), row: [id] });

export class AlertRepository {
  readonly #db: Kysely<AlertsDatabase>;
  readonly #sealed: SealedJson;

  /** `store`: the KyselyStore (or anything with its database and sealer). */
  constructor(store: { readonly db: Kysely<Database>; readonly sealed: SealedJson }) {
    this.#db = store.db as unknown as Kysely<AlertsDatabase>;
    this.#sealed = store.sealed;
  }

  /** Adds a channel; CW_ERR_ALREADY_EXISTS when the name is taken. */
  async addChannel(channel: Omit<StoredChannel, 'createdAt'>, now = new Date()): Promise<StoredChannel> {
    const createdAt = now.toISOString();
    try {
      await this.#db
        .insertInto('alert_channels')
        .values({
          name: channel.name,
          kind: channel.kind,
          url: this.#sealed.seal(channel.url, urlPlace(channel.name)) as string,
          min_risk: channel.minRisk,
          created_at: createdAt,
        })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConfwatchError('CW_ERR_ALREADY_EXISTS', `an alert channel named "${channel.name}" exists: remove it first or pick another name`);
      throw error;
    }
    return { ...channel, createdAt };
  }

  async listChannels(): Promise<StoredChannel[]> {
    const rows = await this.#db.selectFrom('alert_channels').selectAll().orderBy('name').execute();
    return rows.map((row) => this.#channel(row));
  }

  async getChannel(name: string): Promise<StoredChannel | undefined> {
    const row = await this.#db.selectFrom('alert_channels').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? this.#channel(row) : undefined;
  }

  /** Removes a channel; its deliveries still waiting are marked failed. False when there was none. */
  async removeChannel(name: string, now = new Date()): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('alert_channels').where('name', '=', name).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await trx
        .updateTable('alert_deliveries')
        .set({ status: 'failed', last_error: 'channel removed', updated_at: now.toISOString() })
        .where('channel', '=', name)
        .where('status', 'in', ['queued', 'held'])
        .execute();
      return true;
    });
  }

  /** Adds a rule; CW_ERR_ALREADY_EXISTS when the name is taken. */
  async addRule(name: string, spec: unknown, now = new Date()): Promise<StoredRule> {
    const createdAt = now.toISOString();
    try {
      await this.#db.insertInto('alert_rules').values({ name, spec: JSON.stringify(spec), created_at: createdAt }).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConfwatchError('CW_ERR_ALREADY_EXISTS', `an alert rule named "${name}" exists: remove it first or pick another name`);
      throw error;
    }
    return { name, spec, createdAt };
  }

  async listRules(): Promise<StoredRule[]> {
    const rows = await this.#db.selectFrom('alert_rules').selectAll().orderBy('name').execute();
    return rows.map((row) => ({ name: row.name, spec: JSON.parse(row.spec) as unknown, createdAt: row.created_at }));
  }

  async removeRule(name: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('alert_rules').where('name', '=', name).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Queues deliveries; one whose (channel, dedup key) is already in the
   * outbox is skipped. Returns the rows written.
   */
  async enqueue(deliveries: readonly NewDelivery[], now = new Date()): Promise<StoredDelivery[]> {
    if (deliveries.length === 0) return [];
    const at = now.toISOString();
    const rows = deliveries.map((delivery): AlertDeliveriesTable => {
      const id = newId();
      return {
        id,
        channel: delivery.channel,
        event: delivery.event,
        device: delivery.device,
        risk_level: delivery.riskLevel,
        dedup_key: delivery.dedupKey,
        status: delivery.status,
        attempts: 0,
        next_attempt_at: delivery.nextAttemptAt,
        hold_group: delivery.holdGroup ?? null,
        last_error: delivery.lastError ?? null,
        receiver_status: null,
        payload: this.#sealed.seal(delivery.payload, payloadPlace(id)) as string,
        created_at: at,
        updated_at: at,
      };
    });
    // one statement for an alert's channels; `returning` tells which rows were new
    const inserted = await this.#db
      .insertInto('alert_deliveries')
      .values(rows)
      .onConflict((oc) => oc.columns(['channel', 'dedup_key']).doNothing())
      .returning('id')
      .execute();
    const written = new Set(inserted.map((row) => row.id));
    return rows.filter((row) => written.has(row.id)).map((row) => this.#delivery(row));
  }

  /** Queued deliveries due at `now`, oldest first. */
  async due(now: Date, limit: number): Promise<StoredDelivery[]> {
    return this.#select('queued', now, limit);
  }

  /** Held deliveries whose release time has come, oldest first. */
  async released(now: Date, limit: number): Promise<StoredDelivery[]> {
    return this.#select('held', now, limit);
  }

  /** The release time of a hold group that already waits, if any. */
  async holdRelease(group: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('alert_deliveries')
      .select('next_attempt_at')
      .where('status', '=', 'held')
      .where('hold_group', '=', group)
      .orderBy('next_attempt_at')
      .executeTakeFirst();
    return row?.next_attempt_at;
  }

  /** The earliest time a queued delivery is due, if any. */
  async nextDue(): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('alert_deliveries')
      .select('next_attempt_at')
      .where('status', '=', 'queued')
      .orderBy('next_attempt_at')
      .executeTakeFirst();
    return row?.next_attempt_at;
  }

  async update(id: string, patch: DeliveryPatch, now = new Date()): Promise<void> {
    await this.#db
      .updateTable('alert_deliveries')
      .set({
        status: patch.status,
        updated_at: now.toISOString(),
        ...(patch.attempts !== undefined ? { attempts: patch.attempts } : {}),
        ...(patch.nextAttemptAt !== undefined ? { next_attempt_at: patch.nextAttemptAt } : {}),
        ...(patch.lastError !== undefined ? { last_error: patch.lastError } : {}),
        ...(patch.receiverStatus !== undefined ? { receiver_status: patch.receiverStatus } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /** The most recent deliveries, newest first. */
  async log(limit: number): Promise<StoredDelivery[]> {
    const rows = await this.#db.selectFrom('alert_deliveries').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map((row) => this.#delivery(row));
  }

  async #select(status: DeliveryStatus, now: Date, limit: number): Promise<StoredDelivery[]> {
    const rows = await this.#db
      .selectFrom('alert_deliveries')
      .selectAll()
      .where('status', '=', status)
      .where('next_attempt_at', '<=', now.toISOString())
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => this.#delivery(row));
  }

  #channel(row: AlertChannelsTable): StoredChannel {
    return { name: row.name, kind: row.kind, url: this.#sealed.open<string>(row.url, urlPlace(row.name)) as string, minRisk: row.min_risk, createdAt: row.created_at };
  }

  #delivery(row: AlertDeliveriesTable): StoredDelivery {
    return {
      id: row.id,
      channel: row.channel,
      event: row.event,
      device: row.device,
      riskLevel: row.risk_level,
      dedupKey: row.dedup_key,
      status: row.status as DeliveryStatus,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
      holdGroup: row.hold_group,
      lastError: row.last_error,
      receiverStatus: row.receiver_status,
      payload: this.#sealed.open(row.payload, payloadPlace(row.id)),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}
