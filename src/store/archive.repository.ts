/**
 * What export, import and the git mirror ask of the store beyond the
 * `SnapshotStore` seam: versions in id order a page at a time (so an
 * export of any size holds one page), change sets by id, and inserting
 * imported change sets under their original ids.
 */
import type { Kysely } from 'kysely';
import type { ChangeSetRecord, SnapshotRecord } from './records.js';
import { changeSetFromRow, isoTime, snapshotFromRow } from './record-mappers.js';
import type { SealedJson } from './sealed-json.js';
import type { Database } from './tables.js';

const PAGE = 500;

export class ArchiveRepository {
  readonly #db: Kysely<Database>;
  readonly #sealed: SealedJson;

  constructor(store: { readonly db: Kysely<Database>; readonly sealed: SealedJson }) {
    this.#db = store.db;
    this.#sealed = store.sealed;
  }

  /** Every version of the devices (all devices when null) with an id after `afterId`, in id order, a page at a time. */
  async *versions(devices: readonly string[] | null, afterId: string | null = null): AsyncGenerator<SnapshotRecord[]> {
    let cursor = afterId;
    for (;;) {
      let query = this.#db.selectFrom('snapshots').selectAll().orderBy('id').limit(PAGE);
      if (devices) query = query.where('device', 'in', devices.length ? [...devices] : ['']);
      if (cursor) query = query.where('id', '>', cursor);
      const rows = await query.execute();
      if (rows.length === 0) return;
      yield rows.map((row) => snapshotFromRow(row, this.#sealed));
      cursor = rows[rows.length - 1]!.id;
      if (rows.length < PAGE) return;
    }
  }

  /** Snapshot ids the store holds among `ids`. */
  async existingSnapshotIds(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += PAGE) {
      const rows = await this.#db.selectFrom('snapshots').select('id').where('id', 'in', ids.slice(i, i + PAGE)).execute();
      for (const row of rows) found.add(row.id);
    }
    return found;
  }

  /** The change sets with these ids. */
  async changeSets(ids: readonly string[]): Promise<ChangeSetRecord[]> {
    const out: ChangeSetRecord[] = [];
    for (let i = 0; i < ids.length; i += PAGE) {
      const rows = await this.#db.selectFrom('change_sets').selectAll().where('id', 'in', ids.slice(i, i + PAGE)).execute();
      out.push(...rows.map(changeSetFromRow));
    }
    return out;
  }

  /** Inserts change sets under their own ids; ones already here are left alone. Returns how many were added. */
  async insertChangeSets(sets: readonly ChangeSetRecord[]): Promise<number> {
    if (sets.length === 0) return 0;
    const existing = new Set((await this.changeSets(sets.map((s) => s.id))).map((s) => s.id));
    const rows = sets
      .filter((s) => !existing.has(s.id))
      .map((s) => ({ id: s.id, device: s.device, title: s.title, count: s.count, opened_at: isoTime(s.openedAt), closed_at: s.closedAt ? isoTime(s.closedAt) : null }));
    for (let i = 0; i < rows.length; i += 100) await this.#db.insertInto('change_sets').values(rows.slice(i, i + 100)).execute();
    return rows.length;
  }
}
