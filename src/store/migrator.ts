/**
 * The one migrator: Kysely's `Migrator` fed from the in-code list in
 * migrations/index.ts. Running it again is a no-op (applied migrations are
 * recorded in `kysely_migration`).
 */
import { type Kysely, Migrator } from 'kysely';
import { ConfwatchError } from '../errors.js';
import { migrationsFor } from './migrations/index.js';
import type { Database, DialectName } from './tables.js';

/** Applies pending migrations; CW_ERR_DB_MIGRATION names the one that failed. */
export async function migrateToLatest(db: Kysely<Database>, dialect: DialectName): Promise<void> {
  const migrations = migrationsFor(dialect);
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
  throw new ConfwatchError('CW_ERR_DB_MIGRATION', `Database migration ${failed} failed: ${String((error as Error).message ?? error)}`, {
    cause: error,
  });
}
