/**
 * `SnapshotStore` over Kysely: one implementation for SQLite and PostgreSQL.
 * Multi-row writes run in one transaction; file contents only ever reach
 * the database compressed and sealed (blob-store.ts).
 */
import type { Kysely, Transaction } from 'kysely';
import { ConfwatchError } from '../errors.js';
import type { RemotePath } from '../transport/remote-path.js';
import { BlobStore, chunked, MAX_KEYS_PER_QUERY, rowsPerInsert } from './blob-store.js';
import { sha256Hex } from '../hash.js';
import { open, seal } from './cipher.js';
import { ContentCache } from './content-cache.js';
import { isId, newId } from './ids.js';
import type { KeyRing, MasterKey } from './keyring.js';
import {
  auditFromRow,
  changeSetFromRow,
  deviceFromRow,
  fromFlag,
  isoTime,
  profileFromRow,
  profileToRow,
  snapshotFromRow,
  snapshotPlace,
  toFlag,
  toJson,
  trackedFileFromRow,
  trackedFilePlace,
} from './record-mappers.js';
import type {
  AuditRecord,
  ChangeSetRecord,
  DeviceRecord,
  ProfileRecord,
  SnapshotRecord,
  TrackedFileRecord,
  ValidationResult,
} from './records.js';
import { ALL_SEALED_COLUMNS, sealPending } from './sealed-columns.js';
import { SealedJson } from './sealed-json.js';
import { resealRow, rowsNotSealedWith, SEALED_TABLES } from './sealed-rows.js';
import type { DevicePatch, HistoryPage, NewDevice, NewSnapshot, SnapshotStore, TrackedFilePatch } from './snapshot-store.js';
import type { Database, DialectName, SnapshotsTable, TrackedFilesTable } from './tables.js';

export interface KyselyStoreOptions {
  /** Bytes of decoded versions kept in memory (delta bases, repeated reads). Default 32 MiB; 0 disables. */
  readonly contentCacheBytes?: number;
}

const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

const passphraseSecretId = (device: string): string => `device:${device}:passphrase`;
const encodeCursor = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isId(id)) throw new ConfwatchError('CW_ERR_USAGE', 'invalid cursor: pass back the nextCursor of the previous page');
  return id;
}
const now = (): string => new Date().toISOString();
const pageSize = (limit: number | undefined): number => Math.min(Math.max(1, limit ?? DEFAULT_PAGE), MAX_PAGE);

export class KyselyStore implements SnapshotStore {
  /** The query builder, for repositories of later features sharing this schema. */
  readonly db: Kysely<Database>;
  /** Which database is underneath. */
  readonly dialect: DialectName;
  /** The master keys this store seals and opens rows with. */
  readonly keyRing: KeyRing;
  /** Seals what is derived from file contents (parsed data, results, errors) for the repositories sharing this schema. */
  readonly sealed: SealedJson;
  readonly #blobs: BlobStore;
  readonly #snapshot = (row: SnapshotsTable): SnapshotRecord => snapshotFromRow(row, this.sealed);
  readonly #trackedFile = (row: TrackedFilesTable): TrackedFileRecord => trackedFileFromRow(row, this.sealed);

  constructor(db: Kysely<Database>, dialect: DialectName, keyRing: KeyRing, options: KyselyStoreOptions = {}) {
    this.db = db;
    this.dialect = dialect;
    this.keyRing = keyRing;
    this.sealed = new SealedJson(keyRing);
    this.#blobs = new BlobStore(keyRing, new ContentCache(options.contentCacheBytes ?? DEFAULT_CACHE_BYTES));
  }

  // devices and profiles

  async addDevice(device: NewDevice, profiles: readonly ProfileRecord[]): Promise<DeviceRecord> {
    const at = now();
    await this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('devices').select('name').where('name', '=', device.name).executeTakeFirst();
      if (existing) throw new ConfwatchError('CW_ERR_ALREADY_EXISTS', `Device ${device.name} already exists.`);
      await trx
        .insertInto('devices')
        .values({
          name: device.name,
          transport: device.transport,
          host: device.host,
          port: device.port,
          user: device.user,
          identity_file: device.identityFile,
          host_key: device.hostKey,
          mode: device.mode,
          poll_interval_sec: device.pollIntervalSec,
          sudo: toFlag(device.sudo),
          jump: device.jump,
          tags: JSON.stringify(device.tags),
          path_mappings: JSON.stringify(device.pathMappings ?? []),
          storage_quota_bytes: device.storageQuotaBytes ?? null,
          created_at: at,
          updated_at: at,
        })
        .execute();
      if (profiles.length > 0) {
        await trx
          .insertInto('profiles')
          .values(profiles.map((p) => profileToRow(device.name, p)))
          .execute();
      }
      if (device.passphrase) await this.#putSecret(trx, passphraseSecretId(device.name), device.passphrase);
      await bumpDevicesRevision(trx);
    });
    return (await this.getDevice(device.name))!;
  }

  async getDevice(name: string): Promise<DeviceRecord | undefined> {
    const row = await this.db.selectFrom('devices').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) return undefined;
    const secret = await this.db.selectFrom('secrets').select('id').where('id', '=', passphraseSecretId(name)).executeTakeFirst();
    return deviceFromRow(row, secret !== undefined);
  }

  async listDevices(): Promise<DeviceRecord[]> {
    const rows = await this.db.selectFrom('devices').selectAll().orderBy('name').execute();
    const secrets = await this.db.selectFrom('secrets').select('id').where('id', 'like', 'device:%:passphrase').execute();
    const withSecret = new Set(secrets.map((s) => s.id));
    return rows.map((row) => deviceFromRow(row, withSecret.has(passphraseSecretId(row.name))));
  }

  async removeDevice(name: string, options: { purge?: boolean } = {}): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('profiles').where('device', '=', name).execute();
      await trx.deleteFrom('secrets').where('id', '=', passphraseSecretId(name)).execute();
      if (options.purge) {
        // Blobs stay: they are shared by content and may be delta bases of other files.
        await trx.deleteFrom('snapshots').where('device', '=', name).execute();
        await trx.deleteFrom('tracked_files').where('device', '=', name).execute();
        await trx.deleteFrom('change_sets').where('device', '=', name).execute();
        await trx.deleteFrom('dependency_graphs').where('device', '=', name).execute();
      }
      const result = await trx.deleteFrom('devices').where('name', '=', name).executeTakeFirst();
      const removed = Number(result.numDeletedRows) > 0;
      if (removed) await bumpDevicesRevision(trx);
      return removed;
    });
  }

  async updateDevice(name: string, patch: DevicePatch): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.#updateDevice(trx, name, patch);
      await bumpDevicesRevision(trx);
    });
  }

  async devicesRevision(): Promise<number> {
    const row = await this.db.selectFrom('revisions').select('value').where('name', '=', 'devices').executeTakeFirst();
    return Number(row?.value ?? 0);
  }

  async #updateDevice(trx: Transaction<Database>, name: string, patch: DevicePatch): Promise<void> {
    const result = await trx
      .updateTable('devices')
      .set({
        ...(patch.hostKey !== undefined && { host_key: patch.hostKey }),
        ...(patch.mode !== undefined && { mode: patch.mode }),
        ...(patch.tags !== undefined && { tags: JSON.stringify(patch.tags) }),
        ...(patch.storageQuotaBytes !== undefined && { storage_quota_bytes: patch.storageQuotaBytes }),
        updated_at: now(),
      })
      .where('name', '=', name)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new ConfwatchError('CW_ERR_NOT_FOUND', `No device named ${name}.`);
  }

  async getDevicePassphrase(name: string): Promise<string | null> {
    const id = passphraseSecretId(name);
    const row = await this.db.selectFrom('secrets').select(['key_id', 'data']).where('id', '=', id).executeTakeFirst();
    return row ? open(this.keyRing.get(row.key_id), row.data, id).toString('utf8') : null;
  }

  async listProfiles(device: string): Promise<ProfileRecord[]> {
    const rows = await this.db.selectFrom('profiles').selectAll().where('device', '=', device).orderBy('name').execute();
    return rows.map(profileFromRow);
  }

  // snapshots

  async recordSnapshots(inputs: readonly NewSnapshot[]): Promise<SnapshotRecord[]> {
    if (inputs.length === 0) return [];
    // a few statements per batch instead of several per snapshot: per-statement cost dominated bursts
    return this.db.transaction().execute(async (trx) => {
      const tracked = await this.#trackedRows(trx, inputs);
      const blobs = await this.#blobs.batch(trx, blobHashesOf(inputs, tracked));
      const snapshots: SnapshotsTable[] = [];
      for (const input of inputs) {
        const key = fileKey(input.device, input.path);
        const previous = tracked.get(key);
        const contentHash = input.content
          ? await blobs.put(input.content, previous?.content_hash ?? null)
          : (input.contentHash ?? null);
        const hasContent = input.content !== undefined || (contentHash !== null && blobs.has(contentHash));
        const row = snapshotRow(input, contentHash, hasContent, previous);
        snapshots.push(row);
        // a later input for the same file in this batch builds on this one
        tracked.set(key, advancedTrackedFile(input, row, previous));
      }
      await blobs.flush();
      await this.#insertRows(trx, 'snapshots', snapshots);
      await this.#upsertTrackedFiles(trx, [...tracked.values()]);
      return snapshots.map(this.#snapshot);
    });
  }

  /** The tracked rows of the batch's files, one query per device and chunk of paths. */
  async #trackedRows(trx: Transaction<Database>, inputs: readonly NewSnapshot[]): Promise<Map<string, TrackedFilesTable>> {
    const byDevice = new Map<string, Set<string>>();
    for (const input of inputs) {
      const paths = byDevice.get(input.device) ?? new Set<string>();
      paths.add(input.path);
      byDevice.set(input.device, paths);
    }
    const rows = new Map<string, TrackedFilesTable>();
    for (const [device, paths] of byDevice) {
      for (const chunk of chunked([...paths], MAX_KEYS_PER_QUERY)) {
        const found = await trx.selectFrom('tracked_files').selectAll().where('device', '=', device).where('path', 'in', chunk).execute();
        for (const row of found) rows.set(fileKey(row.device, row.path), row);
      }
    }
    return rows;
  }

  async #insertRows(trx: Transaction<Database>, table: 'snapshots', rows: readonly SnapshotsTable[]): Promise<void> {
    const columns = rows[0] ? Object.keys(rows[0]).length : 1;
    for (const chunk of chunked(rows, rowsPerInsert(columns))) await trx.insertInto(table).values(chunk).execute();
  }

  /** Writes each file's final row of the batch (one row per file: an upsert may touch a row once). */
  async #upsertTrackedFiles(trx: Transaction<Database>, rows: readonly TrackedFilesTable[]): Promise<void> {
    const columns = rows[0] ? Object.keys(rows[0]).length : 1;
    for (const chunk of chunked(rows, rowsPerInsert(columns))) {
      await trx
        .insertInto('tracked_files')
        .values(chunk)
        .onConflict((oc) =>
          oc
            .columns(['device', 'path'])
            .doUpdateSet((eb) => Object.fromEntries(TRACKED_UPDATE_COLUMNS.map((column) => [column, eb.ref(`excluded.${column}`)]))),
        )
        .execute();
    }
  }

  async getSnapshot(id: string): Promise<SnapshotRecord | undefined> {
    const row = await this.db.selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.#snapshot(row);
  }

  async storedContentBytes(device: string): Promise<number> {
    const row = await this.db
      .selectFrom('snapshots')
      .select((eb) => eb.fn.sum<number | string | null>('size').as('bytes'))
      .where('device', '=', device)
      .where('has_content', '=', toFlag(true))
      .executeTakeFirst();
    return Number(row?.bytes ?? 0);
  }

  async latestSnapshot(device: string, path: RemotePath): Promise<SnapshotRecord | undefined> {
    const row = await this.#fileSnapshots(device, path).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return row && this.#snapshot(row);
  }

  async history(device: string, path: RemotePath, options: { limit?: number; cursor?: string | null } = {}): Promise<HistoryPage> {
    const limit = pageSize(options.limit);
    let query = this.#fileSnapshots(device, path).orderBy('id', 'desc').limit(limit + 1);
    if (options.cursor) query = query.where('id', '<', decodeCursor(options.cursor));
    const rows = await query.execute();
    const items = rows.slice(0, limit).map(this.#snapshot);
    return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.id) : null };
  }

  async snapshotAt(device: string, path: RemotePath, at: string): Promise<SnapshotRecord | undefined> {
    const row = await this.#fileSnapshots(device, path)
      .where('detected_at', '<=', isoTime(at))
      .orderBy('detected_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && this.#snapshot(row);
  }

  async snapshotsSince(device: string, after: string): Promise<SnapshotRecord[]> {
    const rows = await this.db
      .selectFrom('snapshots')
      .selectAll()
      .where('device', '=', device)
      .where('detected_at', '>', isoTime(after))
      .orderBy('detected_at')
      .orderBy('id')
      .execute();
    return rows.map(this.#snapshot);
  }

  #fileSnapshots(device: string, path: RemotePath) {
    return this.db.selectFrom('snapshots').selectAll().where('device', '=', device).where('path', '=', path);
  }

  async readContent(snapshot: Pick<SnapshotRecord, 'contentHash'>): Promise<Buffer> {
    if (!snapshot.contentHash) throw new ConfwatchError('CW_ERR_NOT_FOUND', 'This snapshot has no stored content.');
    return this.#blobs.read(this.db, snapshot.contentHash);
  }

  keepContent(content: Buffer): Promise<string> {
    return this.#blobs.put(this.db, content, null);
  }

  async annotateSnapshot(
    id: string,
    patch: { parsed?: unknown; parseErrors?: SnapshotRecord['parseErrors']; impact?: unknown; validation?: ValidationResult; parserVersion?: number },
  ): Promise<void> {
    const sealed = (column: 'parsed' | 'parse_errors' | 'impact' | 'validation', value: unknown) => this.sealed.sealLarge(value, snapshotPlace(column, id));
    const result = await this.db
      .updateTable('snapshots')
      .set({
        ...(patch.parsed !== undefined && { parsed: await sealed('parsed', patch.parsed) }),
        ...(patch.parseErrors !== undefined && { parse_errors: await sealed('parse_errors', patch.parseErrors) }),
        ...(patch.impact !== undefined && { impact: await sealed('impact', patch.impact) }),
        ...(patch.validation !== undefined && { validation: await sealed('validation', patch.validation) }),
        ...(patch.parserVersion !== undefined && { parser_version: patch.parserVersion }),
      })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new ConfwatchError('CW_ERR_NOT_FOUND', `No snapshot ${id}.`);
  }

  // tracked files

  async listTrackedFiles(device?: string): Promise<TrackedFileRecord[]> {
    let query = this.db.selectFrom('tracked_files').selectAll().orderBy('device').orderBy('path');
    if (device !== undefined) query = query.where('device', '=', device);
    return (await query.execute()).map(this.#trackedFile);
  }

  async getTrackedFile(device: string, path: RemotePath): Promise<TrackedFileRecord | undefined> {
    const row = await this.db
      .selectFrom('tracked_files')
      .selectAll()
      .where('device', '=', device)
      .where('path', '=', path)
      .executeTakeFirst();
    return row && this.#trackedFile(row);
  }

  async getTrackedFiles(device: string, paths: readonly RemotePath[]): Promise<TrackedFileRecord[]> {
    const rows: TrackedFileRecord[] = [];
    for (const chunk of chunked([...new Set(paths)], MAX_KEYS_PER_QUERY)) {
      const found = await this.db.selectFrom('tracked_files').selectAll().where('device', '=', device).where('path', 'in', chunk).execute();
      for (const row of found) rows.push(this.#trackedFile(row));
    }
    return rows;
  }

  async updateTrackedFile(device: string, path: RemotePath, patch: TrackedFilePatch): Promise<void> {
    const set = {
      ...(patch.syncStatus !== undefined && { sync_status: patch.syncStatus }),
      ...(patch.validationStatus !== undefined && { validation_status: patch.validationStatus }),
      ...(patch.lastError !== undefined && { last_error: this.sealed.seal(patch.lastError, trackedFilePlace('last_error', device, path)) }),
      ...(patch.lastCheckedAt !== undefined && { last_checked_at: patch.lastCheckedAt && isoTime(patch.lastCheckedAt) }),
      ...(patch.baselineSnapshotId !== undefined && { baseline_snapshot_id: patch.baselineSnapshotId }),
      ...(patch.size !== undefined && { size: patch.size }),
      ...(patch.mtimeMs !== undefined && { mtime_ms: patch.mtimeMs }),
      ...(patch.ino !== undefined && { ino: patch.ino }),
    };
    if (Object.keys(set).length === 0) return;
    const result = await this.db
      .updateTable('tracked_files')
      .set(set)
      .where('device', '=', device)
      .where('path', '=', path)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) {
      throw new ConfwatchError('CW_ERR_NOT_FOUND', `${path} is not tracked on ${device}.`);
    }
  }

  // change sets

  async openChangeSet(device: string, title: string, openedAt: string): Promise<ChangeSetRecord> {
    const row = { id: newId(), device, title, count: 0, opened_at: isoTime(openedAt), closed_at: null };
    await this.db.insertInto('change_sets').values(row).execute();
    return changeSetFromRow(row);
  }

  async closeChangeSet(id: string, title: string, count: number, closedAt: string): Promise<void> {
    const result = await this.db
      .updateTable('change_sets')
      .set({ title, count, closed_at: isoTime(closedAt) })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new ConfwatchError('CW_ERR_NOT_FOUND', `No change set ${id}.`);
  }

  async getChangeSet(id: string): Promise<ChangeSetRecord | undefined> {
    const row = await this.db.selectFrom('change_sets').selectAll().where('id', '=', id).executeTakeFirst();
    return row && changeSetFromRow(row);
  }

  async listChangeSets(device?: string, limit = 100): Promise<ChangeSetRecord[]> {
    let query = this.db.selectFrom('change_sets').selectAll().orderBy('id', 'desc').limit(pageSize(limit));
    if (device !== undefined) query = query.where('device', '=', device);
    return (await query.execute()).map(changeSetFromRow);
  }

  // audit (append-only: there is no update or delete)

  async appendAudit(entry: Omit<AuditRecord, 'id' | 'at'>): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        at: now(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        client_address: entry.clientAddress,
        result: entry.result,
        details: toJson(entry.details),
      })
      .execute();
  }

  async listAudit(options: { limit?: number } = {}): Promise<AuditRecord[]> {
    const rows = await this.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(pageSize(options.limit)).execute();
    return rows.map(auditFromRow);
  }

  // keys

  /**
   * Makes `newKey` current, then re-seals every blob and secret row by row,
   * and every sealed value derived from contents (parsed data, results,
   * plans, journals, dependency graphs)
   * (no long transaction, so readers and writers are never blocked). Passes
   * repeat until no row under an older key remains, which also covers rows
   * written under the old key while the rotation ran.
   */
  async rotateKey(
    newKey: MasterKey,
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ blobs: number; secrets: number; derived: number }> {
    this.keyRing.promote(newKey);
    const counts = { blobs: 0, secrets: 0, derived: 0 };
    for (;;) {
      const pending = await Promise.all(SEALED_TABLES.map((t) => rowsNotSealedWith(this.db, t, newKey.id)));
      const total = pending.reduce((sum, ids) => sum + ids.length, 0);
      if (total === 0) {
        counts.derived += await sealPending(this.db, this.sealed, newKey.id, undefined, ALL_SEALED_COLUMNS);
        return counts;
      }
      let done = 0;
      for (const [index, target] of SEALED_TABLES.entries()) {
        for (const id of pending[index]!) {
          if (await resealRow(this.db, target, id, this.keyRing)) counts[target.table] += 1;
          onProgress?.(++done, total);
        }
      }
    }
  }

  async #putSecret(trx: Transaction<Database>, id: string, plaintext: string): Promise<void> {
    const { current } = this.keyRing;
    const row = { id, key_id: current.id, data: seal(current.key, Buffer.from(plaintext, 'utf8'), id), updated_at: now() };
    await trx
      .insertInto('secrets')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet({ key_id: row.key_id, data: row.data, updated_at: row.updated_at }))
      .execute();
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

const fileKey = (device: string, path: string): string => `${device}\u0000${path}`;

/** Every blob a batch may touch: its new contents, its known hashes and the delta bases (the files' current contents). */
function blobHashesOf(inputs: readonly NewSnapshot[], tracked: ReadonlyMap<string, TrackedFilesTable>): Set<string> {
  const hashes = new Set<string>();
  for (const input of inputs) {
    if (input.content) hashes.add(sha256Hex(input.content));
    else if (input.contentHash) hashes.add(input.contentHash);
  }
  for (const row of tracked.values()) if (row.content_hash) hashes.add(row.content_hash);
  return hashes;
}

function snapshotRow(input: NewSnapshot, contentHash: string | null, hasContent: boolean, tracked: TrackedFilesTable | undefined): SnapshotsTable {
  return {
    id: input.id ?? newId(),
    device: input.device,
    path: input.path,
    config_type: input.configType,
    content_hash: contentHash,
    has_content: toFlag(hasContent),
    size: input.size ?? input.content?.length ?? null,
    mode: input.mode ?? null,
    uid: input.uid ?? null,
    gid: input.gid ?? null,
    mtime_ms: input.mtimeMs ?? null,
    change_type: input.changeType,
    source: input.source,
    previous_id: tracked?.latest_snapshot_id ?? null,
    moved_from_path: input.movedFromPath ?? null,
    change_set_id: input.changeSetId ?? null,
    actor: input.actor ?? null,
    parsed: null,
    parse_errors: null,
    validation: null,
    impact: null,
    parser_version: null,
    change_request_id: input.changeRequestId ?? null,
    detected_at: isoTime(input.detectedAt),
    stored_at: now(),
  };
}

/** The file's row moved to the new snapshot; the first snapshot (or a baseline-setting one) becomes the baseline. */
function advancedTrackedFile(input: NewSnapshot, snapshot: SnapshotsTable, tracked: TrackedFilesTable | undefined): TrackedFilesTable {
  const deleted = input.changeType === 'deleted';
  const contentChanged = snapshot.content_hash !== (tracked?.content_hash ?? null);
  const isBaseline = input.setBaseline || !tracked?.baseline_snapshot_id;
  // a delete is drift only against a baseline with content: after confwatch's own delete the baseline is "absent"
  const alreadyAbsentInSync = tracked !== undefined && fromFlag(tracked.deleted) && tracked.sync_status === 'synced';
  const deletedStatus = isBaseline || alreadyAbsentInSync ? 'synced' : 'missing';
  return {
    device: input.device,
    path: input.path,
    config_type: input.configType,
    profile: input.profile,
    latest_snapshot_id: snapshot.id,
    baseline_snapshot_id: isBaseline ? snapshot.id : tracked.baseline_snapshot_id,
    content_hash: deleted ? null : snapshot.content_hash,
    deleted: toFlag(deleted),
    sync_status: deleted ? deletedStatus : input.setBaseline || !tracked ? 'synced' : tracked.sync_status,
    validation_status: contentChanged || !tracked ? 'pending' : tracked.validation_status,
    last_error: null,
    last_checked_at: snapshot.detected_at,
    size: snapshot.size,
    mtime_ms: snapshot.mtime_ms,
    ino: input.ino ?? null,
    mode: snapshot.mode,
    uid: snapshot.uid,
    gid: snapshot.gid,
  };
}

/** Every tracked-file column but the key: an upsert replaces the whole row. */
const TRACKED_UPDATE_COLUMNS = [
  'config_type',
  'profile',
  'latest_snapshot_id',
  'baseline_snapshot_id',
  'content_hash',
  'deleted',
  'sync_status',
  'validation_status',
  'last_error',
  'last_checked_at',
  'size',
  'mtime_ms',
  'ino',
  'mode',
  'uid',
  'gid',
] as const satisfies readonly (keyof TrackedFilesTable)[];

/** Moves the devices revision forward, inside the transaction that changed a device. */
async function bumpDevicesRevision(trx: Transaction<Database>): Promise<void> {
  await trx
    .updateTable('revisions')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', 'devices')
    .execute();
}
