/**
 * Domain records as the rest of confwatch sees them (SPEC §4). Storage
 * details (table layout, JSON encoding, booleans, timestamps) stay inside
 * store/; these types are identical whichever database is underneath.
 * Timestamps are ISO-8601 UTC strings; ids are time-sortable strings.
 */
import type { ChangeType, SnapshotSource, WatchMode } from '../events/event-map.js';
import type { ConfigType } from '../parsers/parser.js';
import type { TransportTarget } from '../transport/factory.js';
import type { ModePreference } from '../transport/probe.js';
import type { PathMapping } from '../transport/path-mapping.js';
import type { RemotePath } from '../transport/remote-path.js';

export type DeviceMode = ModePreference;
export type TransportKind = TransportTarget['transport'];

/** A device: how to reach it (TransportTarget) and how to watch it. */
export interface DeviceRecord extends TransportTarget {
  readonly mode: DeviceMode;
  /** Overrides every profile's poll interval when set. */
  readonly pollIntervalSec: number | null;
  readonly sudo: boolean;
  readonly tags: readonly string[];
  /** Container paths and the host directories behind them (`--map /config=/srv/swag`); empty by default. */
  readonly pathMappings?: readonly PathMapping[];
  /** Bytes of file contents the device's history may hold (`--quota`); null or absent: the default, 2 GiB. */
  readonly storageQuotaBytes?: number | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ProfileRecord {
  readonly device: string;
  /** Built-in profile name (`nginx`, `swag`, `compose`, `systemd`, `sshd`) or `custom`/user name. */
  readonly name: string;
  /** Forced config type; null = detected per file (SPEC §4). */
  readonly configType: ConfigType | null;
  readonly paths: readonly string[];
  readonly exclude: readonly string[];
  readonly pollIntervalSec: number;
  readonly maxFileBytes: number;
  /** Validation command template with {file}/{dir}; null = the type's default. */
  readonly validateCommand: string | null;
  /** Reload command; null = the type's default. */
  readonly reloadCommand: string | null;
  /** Validate captured snapshots in the background. */
  readonly validateOnCapture: boolean;
  readonly autoReconcile: 'off' | 'restore';
  /** Container paths of the profile's files and their host directories (`swag`: `/config` → its root). Default none. */
  readonly pathMappings?: readonly PathMapping[];
  /** Refuse write-back when validation cannot run in context, instead of going ahead with a warning. Default false. */
  readonly requireValidation?: boolean;
}

export type SyncStatus = 'synced' | 'drifted' | 'missing' | 'unreadable' | 'error' | 'unknown';
export type ValidationStatus = 'pending' | 'valid' | 'invalid' | 'unavailable' | 'skipped';

export interface TrackedFileRecord {
  readonly device: string;
  readonly path: RemotePath;
  readonly configType: ConfigType;
  readonly profile: string;
  readonly latestSnapshotId: string | null;
  readonly baselineSnapshotId: string | null;
  /** Hash of the latest snapshot's content (null for a tombstone or unread file). */
  readonly contentHash: string | null;
  /** True while the latest snapshot is a tombstone. */
  readonly deleted: boolean;
  readonly syncStatus: SyncStatus;
  readonly validationStatus: ValidationStatus;
  readonly lastError: string | null;
  readonly lastCheckedAt: string | null;
  /** Stat cache used by polling: unchanged (size, mtime, ino) means unchanged hash. */
  readonly size: number | null;
  readonly mtimeMs: number | null;
  readonly ino: number | null;
  readonly mode: number | null;
  readonly uid: number | null;
  readonly gid: number | null;
}

export interface ValidationResult {
  readonly status: 'valid' | 'invalid' | 'unavailable';
  readonly tool: string;
  readonly output: string;
  readonly durationMs: number;
}

export interface SnapshotRecord {
  readonly id: string;
  readonly device: string;
  readonly path: RemotePath;
  readonly configType: ConfigType;
  /** sha256 hex of the exact bytes; null for tombstones and content-less records. */
  readonly contentHash: string | null;
  /** False when the file was over maxFileBytes: hash and metadata only. */
  readonly hasContent: boolean;
  readonly size: number | null;
  readonly mode: number | null;
  readonly uid: number | null;
  readonly gid: number | null;
  readonly mtimeMs: number | null;
  readonly changeType: ChangeType;
  readonly source: SnapshotSource;
  readonly previousId: string | null;
  /** For moves: the tombstone at the old path / the new snapshot. */
  readonly movedFromPath: RemotePath | null;
  readonly changeSetId: string | null;
  readonly actor: string | null;
  readonly parsed: unknown | null;
  readonly parseErrors: readonly { message: string; line?: number; column?: number }[] | null;
  readonly validation: ValidationResult | null;
  readonly impact: unknown | null;
  /** `Parser.version` of the parser behind `parsed`; null when not analysed, or analysed before versions were recorded. */
  readonly parserVersion: number | null;
  /** The change request this version was written for (source `change-request`); null or absent otherwise. */
  readonly changeRequestId?: string | null;
  readonly detectedAt: string;
  readonly storedAt: string;
}

export interface ChangeSetRecord {
  readonly id: string;
  readonly device: string;
  readonly title: string;
  readonly count: number;
  readonly openedAt: string;
  readonly closedAt: string | null;
}

export interface AuditRecord {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly clientAddress: string | null;
  readonly result: 'ok' | 'error' | 'denied';
  readonly details: unknown | null;
}

export interface DeviceState {
  readonly device: string;
  readonly mode: WatchMode | 'disconnected';
  readonly reason: string;
  readonly updatedAt: string;
}
