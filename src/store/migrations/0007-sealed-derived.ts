/**
 * Seals what earlier versions stored in clear although it is derived from
 * file contents: parsed trees, parse errors, impact and validation results
 * of snapshots, tracked files' last errors, rollback-plan steps (with their
 * diffs) and batch journals (see sealed-columns.ts). Needs the master key
 * ring; a database holding such clear values cannot be migrated without it.
 * Sessions stored with their clear ids are ended: sessions are now stored
 * as hashes of their ids, and their users log in again.
 */
import { type Kysely, type Migration, sql } from 'kysely';
import { ConfwatchError } from '../../errors.js';
import type { KeyRing } from '../keyring.js';
import { SEALED_COLUMNS, sealPending } from '../sealed-columns.js';
import { SealedJson, SEALED_PREFIX } from '../sealed-json.js';

export const sealedDerivedMigration = (keys: KeyRing | undefined): Migration => ({
  async up(db: Kysely<unknown>) {
    await sql`delete from sessions`.execute(db);
    if (keys) {
      await sealPending(db, new SealedJson(keys), keys.current.id);
      return;
    }
    for (const set of SEALED_COLUMNS) {
      for (const column of set.columns) {
        const { rows } = await sql`select 1 from ${sql.table(set.table)} where ${sql.ref(column)} is not null
          and ${sql.ref(column)} not like ${`${SEALED_PREFIX}%`} limit 1`.execute(db);
        if (rows.length > 0) {
          throw new ConfwatchError('CW_ERR_NOT_INITIALISED', 'sealing stored analysis results needs the master key: open the store with it');
        }
      }
    }
  },
});
