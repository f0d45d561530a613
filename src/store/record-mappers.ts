/**
 * Conversions between table rows and domain records: flags to booleans,
 * JSON text to values. The only place that knows the storage encoding.
 */
import type { Selectable } from 'kysely';
import { ConfwatchError } from '../errors.js';
import type { ChangeType, SnapshotSource } from '../events/event-map.js';
import type { ConfigType } from '../parsers/parser.js';
import type { PathMapping } from '../transport/path-mapping.js';
import type {
  AuditRecord,
  ChangeSetRecord,
  DeviceMode,
  DeviceRecord,
  ProfileRecord,
  SnapshotRecord,
  SyncStatus,
  TrackedFileRecord,
  TransportKind,
  ValidationStatus,
} from './records.js';
import { sealedColumnName } from './sealed-columns.js';
import type { SealedJson } from './sealed-json.js';
import type {
  AuditLogTable,
  ChangeSetsTable,
  DevicesTable,
  ProfilesTable,
  SnapshotsTable,
  TrackedFilesTable,
} from './tables.js';

export const toFlag = (value: boolean): number => (value ? 1 : 0);
export const fromFlag = (value: number | boolean): boolean => value === 1 || value === true;

export const toJson = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
const fromJson = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

export function deviceFromRow(row: Selectable<DevicesTable>, hasPassphrase: boolean): DeviceRecord {
  return {
    name: row.name,
    transport: row.transport as TransportKind,
    host: row.host,
    port: row.port,
    user: row.user,
    identityFile: row.identity_file,
    hasPassphrase,
    hostKey: row.host_key,
    mode: row.mode as DeviceMode,
    pollIntervalSec: row.poll_interval_sec,
    sudo: fromFlag(row.sudo),
    jump: row.jump,
    tags: fromJson<string[]>(row.tags) ?? [],
    pathMappings: fromJson<PathMapping[]>(row.path_mappings) ?? [],
    storageQuotaBytes: row.storage_quota_bytes === null ? null : Number(row.storage_quota_bytes),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function profileToRow(device: string, profile: ProfileRecord): Selectable<ProfilesTable> {
  return {
    device,
    name: profile.name,
    config_type: profile.configType,
    paths: JSON.stringify(profile.paths),
    exclude: JSON.stringify(profile.exclude),
    poll_interval_sec: profile.pollIntervalSec,
    max_file_bytes: profile.maxFileBytes,
    validate_command: profile.validateCommand,
    reload_command: profile.reloadCommand,
    validate_on_capture: toFlag(profile.validateOnCapture),
    auto_reconcile: profile.autoReconcile,
    path_mappings: JSON.stringify(profile.pathMappings ?? []),
    require_validation: toFlag(profile.requireValidation === true),
  };
}

export function profileFromRow(row: Selectable<ProfilesTable>): ProfileRecord {
  return {
    device: row.device,
    name: row.name,
    configType: row.config_type as ConfigType | null,
    paths: fromJson<string[]>(row.paths) ?? [],
    exclude: fromJson<string[]>(row.exclude) ?? [],
    pollIntervalSec: row.poll_interval_sec,
    maxFileBytes: row.max_file_bytes,
    validateCommand: row.validate_command,
    reloadCommand: row.reload_command,
    validateOnCapture: fromFlag(row.validate_on_capture),
    autoReconcile: row.auto_reconcile as ProfileRecord['autoReconcile'],
    pathMappings: fromJson<PathMapping[]>(row.path_mappings) ?? [],
    requireValidation: fromFlag(row.require_validation),
  };
}

/** Where a tracked file's sealed values are bound. */
export const trackedFilePlace = (column: keyof TrackedFilesTable, device: string, path: string) => ({
  column: sealedColumnName('tracked_files', column),
  row: [device, path],
});

/** Where a snapshot's sealed values are bound. */
export const snapshotPlace = (column: keyof SnapshotsTable, id: string) => ({ column: sealedColumnName('snapshots', column), row: [id] });

export function trackedFileFromRow(row: Selectable<TrackedFilesTable>, sealed: SealedJson): TrackedFileRecord {
  return {
    device: row.device,
    path: row.path,
    configType: row.config_type as ConfigType,
    profile: row.profile,
    latestSnapshotId: row.latest_snapshot_id,
    baselineSnapshotId: row.baseline_snapshot_id,
    contentHash: row.content_hash,
    deleted: fromFlag(row.deleted),
    syncStatus: row.sync_status as SyncStatus,
    validationStatus: row.validation_status as ValidationStatus,
    lastError: sealed.open<string>(row.last_error, trackedFilePlace('last_error', row.device, row.path)),
    lastCheckedAt: row.last_checked_at,
    size: row.size,
    mtimeMs: row.mtime_ms,
    ino: row.ino,
    mode: row.mode,
    uid: row.uid,
    gid: row.gid,
  };
}

/**
 * A snapshot record. Its sealed values (parsed data can be megabytes) are
 * opened when first read, not when the row is mapped: most readers (the
 * analysis of the next version, history lists, write-back) need only the
 * metadata, and opening costs the event loop an inflate and a JSON parse.
 */
export function snapshotFromRow(row: Selectable<SnapshotsTable>, sealed: SealedJson): SnapshotRecord {
  const record = {
    id: row.id,
    device: row.device,
    path: row.path,
    configType: row.config_type as ConfigType,
    contentHash: row.content_hash,
    hasContent: fromFlag(row.has_content),
    size: row.size,
    mode: row.mode,
    uid: row.uid,
    gid: row.gid,
    mtimeMs: row.mtime_ms,
    changeType: row.change_type as ChangeType,
    source: row.source as SnapshotSource,
    previousId: row.previous_id,
    movedFromPath: row.moved_from_path,
    changeSetId: row.change_set_id,
    actor: row.actor,
    parserVersion: row.parser_version,
    changeRequestId: row.change_request_id ?? null,
    detectedAt: row.detected_at,
    storedAt: row.stored_at,
  };
  openedOnRead(record, 'parsed', () => sealed.open(row.parsed, snapshotPlace('parsed', row.id)));
  openedOnRead(record, 'parseErrors', () => sealed.open(row.parse_errors, snapshotPlace('parse_errors', row.id)));
  openedOnRead(record, 'validation', () => sealed.open(row.validation, snapshotPlace('validation', row.id)));
  openedOnRead(record, 'impact', () => sealed.open(row.impact, snapshotPlace('impact', row.id)));
  return record as SnapshotRecord;
}

/** Adds `key` to `target` as an enumerable property whose value `open` computes on its first read. */
function openedOnRead(target: object, key: string, open: () => unknown): void {
  let value: unknown;
  let opened = false;
  Object.defineProperty(target, key, {
    enumerable: true,
    get() {
      if (!opened) {
        value = open();
        opened = true;
      }
      return value;
    },
  });
}

export const changeSetFromRow = (row: Selectable<ChangeSetsTable>): ChangeSetRecord => ({
  id: row.id,
  device: row.device,
  title: row.title,
  count: row.count,
  openedAt: row.opened_at,
  closedAt: row.closed_at,
});

export const auditFromRow = (row: Selectable<AuditLogTable>): AuditRecord => ({
  id: row.id,
  at: row.at,
  actor: row.actor,
  action: row.action,
  target: row.target,
  clientAddress: row.client_address,
  result: row.result as AuditRecord['result'],
  details: fromJson(row.details),
});

/** ISO-8601 UTC in one fixed format, so stored timestamps compare as strings. */
export function isoTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ConfwatchError('CW_ERR_USAGE', `Not an ISO-8601 timestamp: ${value}`);
  return new Date(ms).toISOString();
}
