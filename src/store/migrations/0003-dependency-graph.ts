/**
 * The dependency graph: each edge records whether it was derived from
 * parsed files (rebuilt on every change) or added by the user (kept), and
 * nodes get their own table so services without edges are listed too.
 */
import type { Kysely, Migration } from 'kysely';

export const dependencyGraphMigration = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('dependency_edges')
      .addColumn('source', 'text', (c) => c.notNull().defaultTo('derived'))
      .execute();
    await db.schema
      .createTable('dependency_nodes')
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('dependency_nodes_pk', ['device', 'id'])
      .execute();
  },
});
