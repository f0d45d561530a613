/**
 * The storage seam. `KyselyStore` implements it over SQLite (embedded
 * default) and PostgreSQL with one schema and one migrator; callers never
 * know which. Every method that writes more than one row is one transaction.
 */
import type { ChangeType, SnapshotSource } from '../events/event-map.js';
import type { ConfigType } from '../parsers/parser.js';
import type { RemotePath } from '../transport/remote-path.js';
import type {
  AuditRecord,
  ChangeSetRecord,
  DeviceRecord,
  ProfileRecord,
  SnapshotRecord,
  SyncStatus,
  TrackedFileRecord,
  ValidationResult,
  ValidationStatus,
} from './records.js';

/** What `updateDevice` may change. */
export type DevicePatch = Partial<Pick<DeviceRecord, 'hostKey' | 'mode' | 'tags' | 'storageQuotaBytes'>>;

export interface NewDevice extends Omit<DeviceRecord, 'createdAt' | 'updatedAt' | 'hasPassphrase'> {
  /** Identity passphrase; stored encrypted. */
  readonly passphrase?: string | null;
}

export interface NewSnapshot {
  /** Keeps an id made elsewhere (a history import); default a new one. Ids must still arrive in order per file. */
  readonly id?: string;
  readonly device: string;
  readonly path: RemotePath;
  readonly configType: ConfigType;
  readonly profile: string;
  readonly changeType: ChangeType;
  readonly source: SnapshotSource;
  /** The exact bytes; omitted for tombstones, metadata-only records and files over maxFileBytes. */
  readonly content?: Buffer;
  /** Required when content is omitted but the hash is known (large files, metadata changes). */
  readonly contentHash?: string | null;
  readonly size?: number | null;
  readonly mode?: number | null;
  readonly uid?: number | null;
  readonly gid?: number | null;
  readonly mtimeMs?: number | null;
  readonly ino?: number | null;
  readonly movedFromPath?: RemotePath | null;
  readonly changeSetId?: string | null;
  readonly actor?: string | null;
  /** The change request the version was written for. */
  readonly changeRequestId?: string | null;
  readonly detectedAt: string;
  /** Makes this snapshot the file's baseline too (first capture, restore, batch, accept). */
  readonly setBaseline?: boolean;
}

export interface HistoryPage {
  readonly items: SnapshotRecord[];
  /** Opaque cursor for the next (older) page; null at the end. */
  readonly nextCursor: string | null;
}

export interface TrackedFilePatch {
  readonly syncStatus?: SyncStatus;
  readonly validationStatus?: ValidationStatus;
  readonly lastError?: string | null;
  readonly lastCheckedAt?: string | null;
  readonly baselineSnapshotId?: string | null;
  readonly size?: number | null;
  readonly mtimeMs?: number | null;
  readonly ino?: number | null;
}

export interface SnapshotStore {
  // devices and profiles
  addDevice(device: NewDevice, profiles: readonly ProfileRecord[]): Promise<DeviceRecord>;
  getDevice(name: string): Promise<DeviceRecord | undefined>;
  listDevices(): Promise<DeviceRecord[]>;
  /** Removes the device and its profiles; snapshots are kept unless purge. */
  removeDevice(name: string, options?: { purge?: boolean }): Promise<boolean>;
  updateDevice(name: string, patch: DevicePatch): Promise<void>;
  /**
   * A number that moves forward in the transaction of every device added,
   * changed or removed (by any process): a running server compares it to
   * notice device changes without a restart.
   */
  devicesRevision(): Promise<number>;
  /** Decrypted identity passphrase, for the transport only. */
  getDevicePassphrase(name: string): Promise<string | null>;
  listProfiles(device: string): Promise<ProfileRecord[]>;

  // snapshots
  /**
   * Stores snapshots (blobs deduplicated, compressed, encrypted) and moves
   * each file's tracked-file row forward, all in one transaction. Returns
   * the stored records in input order.
   */
  recordSnapshots(inputs: readonly NewSnapshot[]): Promise<SnapshotRecord[]>;
  getSnapshot(id: string): Promise<SnapshotRecord | undefined>;
  latestSnapshot(device: string, path: RemotePath): Promise<SnapshotRecord | undefined>;
  /** Newest first. */
  history(device: string, path: RemotePath, options?: { limit?: number; cursor?: string | null }): Promise<HistoryPage>;
  /** The latest snapshot of the path at or before a time. */
  snapshotAt(device: string, path: RemotePath, at: string): Promise<SnapshotRecord | undefined>;
  /** Snapshots of a device after a time (exclusive), oldest first. */
  snapshotsSince(device: string, after: string): Promise<SnapshotRecord[]>;
  /** Exact bytes of a snapshot; rejects CW_ERR_NOT_FOUND for content-less snapshots. */
  readContent(snapshot: Pick<SnapshotRecord, 'contentHash'>): Promise<Buffer>;
  /**
   * Stores bytes as a blob (compressed and encrypted like any content) with
   * no snapshot pointing at them: the undo copy of a file whose history is
   * hash-only. Returns their hash; readContent({ contentHash }) reads them.
   */
  keepContent(content: Buffer): Promise<string>;
  /** Bytes of file content the device's snapshots hold (sizes of the versions stored with content). */
  storedContentBytes(device: string): Promise<number>;
  /** Attaches analysis results to a stored snapshot; `parsed` may come packed by a worker (sealed-json.ts `PackedJson`). */
  annotateSnapshot(
    id: string,
    patch: { parsed?: unknown; parseErrors?: SnapshotRecord['parseErrors']; impact?: unknown; validation?: ValidationResult; parserVersion?: number },
  ): Promise<void>;

  // tracked files
  listTrackedFiles(device?: string): Promise<TrackedFileRecord[]>;
  getTrackedFile(device: string, path: RemotePath): Promise<TrackedFileRecord | undefined>;
  /** The tracked rows of these paths of a device, in no particular order; untracked paths have none. */
  getTrackedFiles(device: string, paths: readonly RemotePath[]): Promise<TrackedFileRecord[]>;
  updateTrackedFile(device: string, path: RemotePath, patch: TrackedFilePatch): Promise<void>;

  // change sets
  openChangeSet(device: string, title: string, openedAt: string): Promise<ChangeSetRecord>;
  closeChangeSet(id: string, title: string, count: number, closedAt: string): Promise<void>;
  getChangeSet(id: string): Promise<ChangeSetRecord | undefined>;
  listChangeSets(device?: string, limit?: number): Promise<ChangeSetRecord[]>;

  // audit (append-only)
  appendAudit(entry: Omit<AuditRecord, 'id' | 'at'>): Promise<void>;
  listAudit(options?: { limit?: number }): Promise<AuditRecord[]>;

  /** Re-encrypts every blob, secret and sealed derived value under the new key; reads keep working throughout. */
  rotateKey(
    newKey: { id: string; key: Buffer },
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ blobs: number; secrets: number; derived: number }>;

  close(): Promise<void>;
}
