/**
 * Compliance trend: a device's counts and score per pack, appended when a
 * run or a stored snapshot moves them. Counts only (nothing quoted from a
 * file), so nothing here is sealed; plain columns on SQLite and PostgreSQL.
 */
import type { Kysely, Migration } from 'kysely';

export const complianceTrendMigration = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('compliance_trend')
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('pack', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('pass', 'integer', (c) => c.notNull())
      .addColumn('fail', 'integer', (c) => c.notNull())
      .addColumn('waived', 'integer', (c) => c.notNull())
      .addColumn('error', 'integer', (c) => c.notNull())
      .addColumn('score', 'integer')
      .execute();
    await db.schema.createIndex('compliance_trend_device').on('compliance_trend').columns(['device', 'pack', 'at']).execute();
  },
});
