/**
 * Write-back: a lock row per (device, path) being written, so two
 * processes (CLI and server, or two CLIs) never write the same file at
 * once. The primary key makes the insert the lock; `expires_at` lets a
 * crashed holder's lock be taken over.
 */
import type { Kysely, Migration } from 'kysely';

export const writebackMigration = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('write_locks')
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('acquired_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('write_locks_pk', ['device', 'path'])
      .execute();
    await db.schema.createIndex('batches_status').on('batches').column('status').execute();
  },
});
