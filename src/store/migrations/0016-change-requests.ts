/**
 * Change requests (SPEC §11.2): a proposed set of write-backs, its
 * reviews, and settings of the approval policy. A request's entries carry
 * the candidate bytes, the diffs against the live files and their impact,
 * so they are sealed (store/change-requests.repository.ts); everything
 * else is metadata: names, hashes, counts, times. `snapshots` gains the
 * request a version was written for.
 */
import type { Kysely, Migration } from 'kysely';

export const changeRequestsMigration = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('change_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('risk_level', 'text', (c) => c.notNull())
      .addColumn('required_approvals', 'integer', (c) => c.notNull())
      .addColumn('apply_on_approval', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('validate', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('reload', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('devices', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('origin', 'text')
      .addColumn('entries', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('change_requests_status').on('change_requests').columns(['status', 'created_at']).execute();
    await db.schema
      .createTable('change_request_reviews')
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('reviewer', 'text', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('comment', 'text')
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('change_request_reviews_pk', ['request_id', 'reviewer', 'revision'])
      .execute();
    await db.schema
      .createTable('change_settings')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('snapshots').addColumn('change_request_id', 'text').execute();
  },
});
