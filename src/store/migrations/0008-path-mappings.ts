/**
 * Container path mappings: a device's own (`device add --map C=H`) and a
 * profile's (`swag` maps `/config` to its root), as JSON lists of
 * `{container, host}`; and the profile option that refuses write-back when
 * validation cannot run in context.
 */
import type { Kysely, Migration } from 'kysely';

export const pathMappingsMigration = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('devices').addColumn('path_mappings', 'text').execute();
    await db.schema.alterTable('profiles').addColumn('path_mappings', 'text').execute();
    await db.schema
      .alterTable('profiles')
      .addColumn('require_validation', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
});
