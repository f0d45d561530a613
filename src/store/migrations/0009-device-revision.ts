/**
 * A revision counter per changing set, starting with `devices`: every
 * device added, changed or removed moves it forward in the same
 * transaction, so a running server (another process than the CLI that
 * made the change) notices by reading one row. Also drops `device_state`,
 * which was created but never written.
 */
import type { Kysely, Migration } from 'kysely';

export const deviceRevisionMigration = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('revisions')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'integer', (c) => c.notNull())
      .execute();
    await (db as Kysely<{ revisions: { name: string; value: number } }>).insertInto('revisions').values({ name: 'devices', value: 0 }).execute();
    await db.schema.dropTable('device_state').execute();
  },
});
