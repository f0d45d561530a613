/**
 * Rows sealed under a master key (blobs, secrets) carry their key id, so a
 * rotation can re-seal them one at a time while readers keep working: each
 * row is readable under whichever key it names, old or new.
 */
import { type Kysely, sql } from 'kysely';
import { open, seal } from './cipher.js';
import type { KeyRing } from './keyring.js';
import type { Database } from './tables.js';

/** A table of sealed rows whose id is also the seal's associated data. */
export interface SealedTable {
  readonly table: 'blobs' | 'secrets';
  readonly idColumn: 'hash' | 'id';
}

export const SEALED_TABLES: readonly SealedTable[] = [
  { table: 'blobs', idColumn: 'hash' },
  { table: 'secrets', idColumn: 'id' },
];

/** Ids of rows not sealed under `keyId`. */
export async function rowsNotSealedWith(db: Kysely<Database>, target: SealedTable, keyId: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`select ${sql.ref(target.idColumn)} as id from ${sql.table(target.table)}
    where key_id <> ${keyId} order by ${sql.ref(target.idColumn)}`.execute(db);
  return rows.map((r) => r.id);
}

/**
 * Re-seals one row under the ring's current key. The update only applies
 * if the row still carries the key it was read with, so a concurrent
 * re-seal or rewrite is never overwritten. Returns true when it changed.
 */
export async function resealRow(db: Kysely<Database>, target: SealedTable, id: string, keys: KeyRing): Promise<boolean> {
  const { rows } = await sql<{ key_id: string; data: Buffer }>`select key_id, data from ${sql.table(target.table)}
    where ${sql.ref(target.idColumn)} = ${id}`.execute(db);
  const row = rows[0];
  if (!row || row.key_id === keys.current.id) return false;
  const resealed = seal(keys.current.key, open(keys.get(row.key_id), row.data, id), id);
  const result = await sql`update ${sql.table(target.table)} set key_id = ${keys.current.id}, data = ${resealed}
    where ${sql.ref(target.idColumn)} = ${id} and key_id = ${row.key_id}`.execute(db);
  return Number(result.numAffectedRows ?? 0) > 0;
}
