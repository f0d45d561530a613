/**
 * Templates: every version of a named template (its body sealed: a
 * template may carry credentials as well as any config file), and the
 * renders applied to files, so a file remembers the template and version
 * it was last rendered from and a later hand edit can be told apart.
 */
import type { Kysely, Migration } from 'kysely';

export const templatesMigration = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('templates')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('config_type', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('schema', 'text')
      .addColumn('description', 'text')
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('templates_pk', ['name', 'version'])
      .execute();
    await db.schema
      .createTable('template_renders')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('template', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('change_request', 'text')
      .addColumn('applied_snapshot', 'text')
      .addColumn('rendered_by', 'text')
      .addColumn('rendered_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('template_renders_file').on('template_renders').columns(['device', 'path', 'rendered_at']).execute();
  },
});
