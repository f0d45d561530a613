/**
 * Write-back batches carry their owner as an instance id and a lease: the
 * owner renews `lease_until` while it runs, and recovery takes over only a
 * batch whose lease has run out. A process id says nothing once a container
 * restarts (it is PID 1 again), so it is no longer what recovery trusts.
 */
import type { Kysely, Migration } from 'kysely';

export const writebackLeaseMigration = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('batches').addColumn('owner_instance', 'text').execute();
    await db.schema.alterTable('batches').addColumn('lease_until', 'text').execute();
  },
});
