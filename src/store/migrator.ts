/**
 * The one migrator: Kysely's `Migrator` fed from the in-code list in
 * migrations/index.ts. Running it again is a no-op (applied migrations are
 * recorded in `kysely_migration`).
 */
import { type Kysely, Migrator, sql } from 'kysely';
import { ConfwatchError } from '../errors.js';
import { migrationsFor } from './migrations/index.js';
import type { Database, DialectName } from './tables.js';

/** Applies pending migrations; CW_ERR_DB_MIGRATION names the one that failed. */
export async function migrateToLatest(db: Kysely<Database>, dialect: DialectName): Promise<void> {
  const migrations = migrationsFor(dialect);
  // Kysely looks for its bookkeeping tables in any schema unless told which; with several
  // confwatch databases in one PostgreSQL database (one schema each) it would find another's.
  const migrationTableSchema = dialect === 'postgres' ? await currentSchema(db) : undefined;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
  throw new ConfwatchError('CW_ERR_DB_MIGRATION', `Database migration ${failed} failed: ${String((error as Error).message ?? error)}`, {
    cause: error,
  });
}

async function currentSchema(db: Kysely<Database>): Promise<string | undefined> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? undefined;
}
