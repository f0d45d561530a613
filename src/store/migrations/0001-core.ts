/**
 * Devices, profiles, the snapshot pipeline's tables (tracked files,
 * snapshots, blobs, change sets), secrets, device state and the audit log.
 */
import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../tables.js';
import { columnTypes } from './column-types.js';

export const coreMigration = (dialect: DialectName): Migration => ({
  async up(db: Kysely<unknown>) {
    const types = columnTypes(dialect);

    await db.schema
      .createTable('devices')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('transport', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('user', 'text', (c) => c.notNull())
      .addColumn('identity_file', 'text')
      .addColumn('host_key', 'text')
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('poll_interval_sec', 'integer')
      .addColumn('sudo', 'integer', (c) => c.notNull())
      .addColumn('jump', 'text')
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('profiles')
      .addColumn('device', 'text', (c) => c.notNull().references('devices.name').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('config_type', 'text')
      .addColumn('paths', 'text', (c) => c.notNull())
      .addColumn('exclude', 'text', (c) => c.notNull())
      .addColumn('poll_interval_sec', 'integer', (c) => c.notNull())
      .addColumn('max_file_bytes', 'bigint', (c) => c.notNull())
      .addColumn('validate_command', 'text')
      .addColumn('reload_command', 'text')
      .addColumn('validate_on_capture', 'integer', (c) => c.notNull())
      .addColumn('auto_reconcile', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('profiles_pk', ['device', 'name'])
      .execute();

    // Tracked files and snapshots outlive their device (history is kept
    // unless purged), so they carry no foreign key to devices.
    await db.schema
      .createTable('tracked_files')
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('config_type', 'text', (c) => c.notNull())
      .addColumn('profile', 'text', (c) => c.notNull())
      .addColumn('latest_snapshot_id', 'text')
      .addColumn('baseline_snapshot_id', 'text')
      .addColumn('content_hash', 'text')
      .addColumn('deleted', 'integer', (c) => c.notNull())
      .addColumn('sync_status', 'text', (c) => c.notNull())
      .addColumn('validation_status', 'text', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('last_checked_at', 'text')
      .addColumn('size', 'bigint')
      .addColumn('mtime_ms', 'double precision')
      .addColumn('ino', 'bigint')
      .addColumn('mode', 'integer')
      .addColumn('uid', 'integer')
      .addColumn('gid', 'integer')
      .addPrimaryKeyConstraint('tracked_files_pk', ['device', 'path'])
      .execute();

    await db.schema
      .createTable('blobs')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('encoding', 'text', (c) => c.notNull())
      .addColumn('base_hash', 'text', (c) => c.references('blobs.hash'))
      .addColumn('depth', 'integer', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('data', types.binary, (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    // Rotation walks the rows still sealed with an old key.
    await db.schema.createIndex('blobs_key_id').on('blobs').column('key_id').execute();

    await db.schema
      .createTable('change_sets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('opened_at', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'text')
      .execute();
    await db.schema.createIndex('change_sets_device').on('change_sets').columns(['device', 'id']).execute();

    await db.schema
      .createTable('snapshots')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('config_type', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text')
      .addColumn('has_content', 'integer', (c) => c.notNull())
      .addColumn('size', 'bigint')
      .addColumn('mode', 'integer')
      .addColumn('uid', 'integer')
      .addColumn('gid', 'integer')
      .addColumn('mtime_ms', 'double precision')
      .addColumn('change_type', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('previous_id', 'text')
      .addColumn('moved_from_path', 'text')
      .addColumn('change_set_id', 'text', (c) => c.references('change_sets.id'))
      .addColumn('actor', 'text')
      .addColumn('parsed', 'text')
      .addColumn('parse_errors', 'text')
      .addColumn('validation', 'text')
      .addColumn('impact', 'text')
      .addColumn('detected_at', 'text', (c) => c.notNull())
      .addColumn('stored_at', 'text', (c) => c.notNull())
      .execute();
    // History of one file, newest first, and "latest at time T".
    await db.schema.createIndex('snapshots_file_history').on('snapshots').columns(['device', 'path', 'id']).execute();
    await db.schema
      .createIndex('snapshots_file_time')
      .on('snapshots')
      .columns(['device', 'path', 'detected_at'])
      .execute();
    // Everything on a device since T (rollback plans, drift).
    await db.schema.createIndex('snapshots_device_time').on('snapshots').columns(['device', 'detected_at']).execute();
    await db.schema.createIndex('snapshots_change_set').on('snapshots').column('change_set_id').execute();

    let audit = db.schema.createTable('audit_log');
    audit = types.autoIncrement
      ? audit.addColumn('id', types.autoId, (c) => c.primaryKey().autoIncrement())
      : audit.addColumn('id', types.autoId, (c) => c.primaryKey());
    await audit
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text')
      .addColumn('client_address', 'text')
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('details', 'text')
      .execute();

    await db.schema
      .createTable('secrets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('data', types.binary, (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('device_state')
      .addColumn('device', 'text', (c) => c.primaryKey())
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
});
