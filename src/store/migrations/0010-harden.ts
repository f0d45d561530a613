/**
 * A per-device storage quota (`device add --quota`, `device set --quota`):
 * bytes of file contents the device's history may hold; null keeps the
 * default (capture's DEFAULT_STORAGE_QUOTA_BYTES).
 */
import type { Kysely, Migration } from 'kysely';

export const hardenMigration = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('devices').addColumn('storage_quota_bytes', 'bigint').execute();
  },
});
