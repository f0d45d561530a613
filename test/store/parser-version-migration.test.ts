/**
 * Migration 0012 reaches databases that already ran 0013 and 0014 (its
 * number was handed out before they merged): the column appears, and
 * existing snapshots read as "parser version unknown".
 */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SQLITE_FILE } from '../../src/store/database.js';
import { migrationsFor } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/open-store.js';
import { describeUnless } from '../helpers/components.js';
import { createTarget, postgresUnavailable, type TargetInstance } from './store-targets.js';

const pgMissing = await postgresUnavailable();

for (const dialect of ['sqlite', 'postgres'] as const) {
  describeUnless(dialect === 'postgres' ? (pgMissing ?? null) : null, `migration 0012 after 0014 (${dialect})`, () => {
    let target: TargetInstance;
    beforeEach(async () => {
      target = await createTarget(dialect);
    });
    afterEach(async () => {
      await target.dispose();
    });

    it('adds parser_version to a database migrated to 0014 without it', async () => {
      const db = new Kysely<unknown>({
        dialect:
          dialect === 'sqlite'
            ? new SqliteDialect({ database: new BetterSqlite3(join(target.home, SQLITE_FILE)) })
            : new PostgresDialect({ pool: new pg.Pool({ connectionString: target.databaseUrl }) }),
      });
      try {
        const without = Object.fromEntries(Object.entries(migrationsFor(dialect)).filter(([name]) => name !== '0012-parser-version'));
        const migrator = new Migrator({ db, provider: { getMigrations: async () => without }, ...(target.schema ? { migrationTableSchema: target.schema } : {}) });
        const { error } = await migrator.migrateToLatest();
        if (error) throw error;
        await sql`insert into snapshots (id, device, path, config_type, has_content, change_type, source, detected_at, stored_at)
          values ('s1', 'd', '/etc/x.conf', 'generic', 0, 'initial', 'rescan', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`.execute(db);
      } finally {
        await db.destroy();
      }
      const store = await openStore({ home: target.home, databaseUrl: target.databaseUrl });
      try {
        expect((await store.getSnapshot('s1'))?.parserVersion).toBeNull();
        await store.annotateSnapshot('s1', { parserVersion: 3 });
        expect((await store.getSnapshot('s1'))?.parserVersion).toBe(3);
      } finally {
        await store.close();
      }
    });
  });
}
