/**
 * The one migrator: Kysely's `Migrator` fed from the in-code list in
 * migrations/index.ts. Running it again is a no-op (applied migrations are
 * recorded in `kysely_migration`).
 */
import { type Kysely, Migrator, sql } from 'kysely';
import { ConfwatchError } from '../errors.js';
import type { KeyRing } from './keyring.js';
import { migrationsFor } from './migrations/index.js';
import type { Database, DialectName } from './tables.js';

/**
 * Key of the PostgreSQL advisory lock held while migrating. Kysely's own lock
 * lives in a table that has to be created first, and finding out whether it
 * exists reads the catalog of every schema; a schema dropped meanwhile (by
 * anyone holding this lock, e.g. a cleanup) would fail that read.
 */
export const MIGRATION_ADVISORY_LOCK = 0x636f6e66; // 'conf'

/**
 * Applies pending migrations; CW_ERR_DB_MIGRATION names the one that failed.
 * `keys` lets a migration seal values stored in clear by older versions.
 */
export async function migrateToLatest(db: Kysely<Database>, dialect: DialectName, keys?: KeyRing): Promise<void> {
  if (dialect !== 'postgres') return await runMigrator(db, dialect, keys);
  await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_ADVISORY_LOCK})`.execute(conn);
    try {
      await runMigrator(conn, dialect, keys);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_ADVISORY_LOCK})`.execute(conn);
    }
  });
}

async function runMigrator(db: Kysely<Database>, dialect: DialectName, keys: KeyRing | undefined): Promise<void> {
  const migrations = migrationsFor(dialect, keys);
  // Kysely looks for its bookkeeping tables in any schema unless told which; with several
  // confwatch databases in one PostgreSQL database (one schema each) it would find another's.
  const migrationTableSchema = dialect === 'postgres' ? await currentSchema(db) : undefined;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
    // numbers are handed out ahead of merging: a database that already ran 0013 still gets a later-merged 0012
    allowUnorderedMigrations: true,
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
