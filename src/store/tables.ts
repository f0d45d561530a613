/**
 * Table types of the confwatch schema, shared by every repository built on
 * the Kysely instance. Column conventions, identical on SQLite and
 * PostgreSQL: booleans are integers 0/1, JSON is text, timestamps are
 * ISO-8601 UTC text (so they sort as strings), binary data is a blob/bytea.
 */
import type { Generated } from 'kysely';

/** 0 or 1. */
export type Flag = number;
/** JSON document as text. */
export type JsonText = string;
/** ISO-8601 UTC timestamp as text. */
export type IsoTime = string;

export interface DevicesTable {
  name: string;
  transport: string;
  host: string;
  port: number;
  user: string;
  identity_file: string | null;
  host_key: string | null;
  mode: string;
  poll_interval_sec: number | null;
  sudo: Flag;
  jump: string | null;
  tags: JsonText;
  /** JSON `[{container, host}]`; null before migration 0008 wrote it. */
  path_mappings: JsonText | null;
  /** Bytes of contents the device's history may hold; null = the default (migration 0010). */
  storage_quota_bytes: number | null;
  created_at: IsoTime;
  updated_at: IsoTime;
}

export interface ProfilesTable {
  device: string;
  name: string;
  config_type: string | null;
  paths: JsonText;
  exclude: JsonText;
  poll_interval_sec: number;
  max_file_bytes: number;
  validate_command: string | null;
  reload_command: string | null;
  validate_on_capture: Flag;
  auto_reconcile: string;
  /** JSON `[{container, host}]`. */
  path_mappings: JsonText | null;
  require_validation: Flag;
}

export interface TrackedFilesTable {
  device: string;
  path: string;
  config_type: string;
  profile: string;
  latest_snapshot_id: string | null;
  baseline_snapshot_id: string | null;
  content_hash: string | null;
  deleted: Flag;
  sync_status: string;
  validation_status: string;
  last_error: string | null;
  last_checked_at: IsoTime | null;
  size: number | null;
  mtime_ms: number | null;
  ino: number | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
}

export interface SnapshotsTable {
  id: string;
  device: string;
  path: string;
  config_type: string;
  content_hash: string | null;
  has_content: Flag;
  size: number | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  mtime_ms: number | null;
  change_type: string;
  source: string;
  previous_id: string | null;
  moved_from_path: string | null;
  change_set_id: string | null;
  actor: string | null;
  parsed: JsonText | null;
  parse_errors: JsonText | null;
  validation: JsonText | null;
  impact: JsonText | null;
  /** `Parser.version` of the parser behind `parsed`; null before versions were recorded. */
  parser_version: number | null;
  /** The change request this version was written for (migration 0016); null otherwise. */
  change_request_id: string | null;
  detected_at: IsoTime;
  stored_at: IsoTime;
}

export interface BlobsTable {
  /** sha256 hex of the exact content. */
  hash: string;
  /** `full` or `delta` (see blob-codec.ts). */
  encoding: string;
  /** For deltas: the version this one is encoded against. */
  base_hash: string | null;
  /** Deltas to follow to reach a full version (0 for full). */
  depth: number;
  /** Length of the content in bytes. */
  size: number;
  /** Master key the data is sealed with. */
  key_id: string;
  /** AES-256-GCM sealed encoding, the hash as associated data. */
  data: Buffer;
  created_at: IsoTime;
}

export interface ChangeSetsTable {
  id: string;
  device: string;
  title: string;
  count: number;
  opened_at: IsoTime;
  closed_at: IsoTime | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: IsoTime;
  actor: string;
  action: string;
  target: string | null;
  client_address: string | null;
  result: string;
  details: JsonText | null;
}

export interface SecretsTable {
  /** e.g. `device:<name>:passphrase`; also the associated data of the seal. */
  id: string;
  key_id: string;
  data: Buffer;
  updated_at: IsoTime;
}

/** Counters that move forward whenever their set changes (`devices`: added, changed or removed). */
export interface RevisionsTable {
  name: string;
  value: number;
}

export interface UsersTable {
  name: string;
  role: string;
  password_hash: string | null;
  disabled: Flag;
  created_at: IsoTime;
}

export interface ApiTokensTable {
  id: string;
  user: string;
  label: string | null;
  token_hash: string;
  created_at: IsoTime;
  last_used_at: IsoTime | null;
  expires_at: IsoTime | null;
}

export interface SessionsTable {
  id: string;
  user: string;
  csrf: string;
  created_at: IsoTime;
  expires_at: IsoTime;
}

export interface RollbackPlansTable {
  id: string;
  device: string;
  target: JsonText;
  steps: JsonText;
  status: string;
  created_at: IsoTime;
  applied_at: IsoTime | null;
}

export interface BatchesTable {
  id: string;
  status: string;
  /** Prepare/commit/verify/undo journal of the batch. */
  journal: JsonText;
  created_at: IsoTime;
  updated_at: IsoTime;
}

/** One device's derived or manual dependency graph, sealed (migration 0011). */
export interface DependencyGraphsTable {
  device: string;
  /** `derived` or `manual`. */
  source: string;
  /** Sealed JSON of the graph's nodes and edges. */
  graph: string;
  updated_at: IsoTime;
}

export interface Database {
  devices: DevicesTable;
  profiles: ProfilesTable;
  tracked_files: TrackedFilesTable;
  snapshots: SnapshotsTable;
  blobs: BlobsTable;
  change_sets: ChangeSetsTable;
  audit_log: AuditLogTable;
  secrets: SecretsTable;
  revisions: RevisionsTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  rollback_plans: RollbackPlansTable;
  batches: BatchesTable;
  dependency_graphs: DependencyGraphsTable;
}

export type DialectName = 'sqlite' | 'postgres';
