/**
 * Compliance: the latest result of each rule on each file (its finding
 * sealed, as it quotes the file), custom rules added with `compliance rule
 * add`, and waivers. Plain text columns, the same on SQLite and PostgreSQL.
 */
import type { Kysely, Migration } from 'kysely';

export const complianceMigration = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('compliance_results')
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('first_seen', 'text', (c) => c.notNull())
      .addColumn('last_seen', 'text', (c) => c.notNull())
      .addColumn('finding', 'text')
      .addPrimaryKeyConstraint('compliance_results_pk', ['device', 'path', 'rule'])
      .execute();
    await db.schema
      .createTable('compliance_rules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('compliance_waivers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('path', 'text')
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('compliance_waivers_device').on('compliance_waivers').columns(['device', 'rule']).execute();
  },
});
