/**
 * The archive's table of contents (`manifest.json`, SPEC §11.4). Content
 * is stored once per distinct hash as `blobs/<sha256>`; files and versions
 * name their bytes by hash, so an import checks each blob against its
 * name. Devices travel without secrets: no identity path, no passphrase.
 */
import { z } from 'zod';

/** Moved forward whenever a reader of the previous format would misread the new one. */
export const ARCHIVE_FORMAT_VERSION = 1;
export const ARCHIVE_FORMAT = 'confwatch-archive';
export const MANIFEST_NAME = 'manifest.json';
export const BLOB_PREFIX = 'blobs/';

const hash = z.string().regex(/^[0-9a-f]{64}$/);
/** A remote path as the store keeps it: absolute and normalised (no `.` or `..` step), or `b64:` for names that are not UTF-8. */
const remotePath = z
  .string()
  .max(8192)
  .refine((p) => normalisedAbsolute(p.startsWith('b64:') ? Buffer.from(p.slice(4), 'base64').toString('latin1') : p), {
    message: 'not an absolute, normalised path',
  });

function normalisedAbsolute(path: string): boolean {
  return path.startsWith('/') && !path.includes('\u0000') && !path.split('/').some((part) => part === '.' || part === '..');
}
const int = z.number().int();

const profileSchema = z.object({
  name: z.string(),
  configType: z.string().nullable(),
  paths: z.array(z.string()),
  exclude: z.array(z.string()),
  pollIntervalSec: int,
  maxFileBytes: int,
  validateCommand: z.string().nullable(),
  reloadCommand: z.string().nullable(),
  validateOnCapture: z.boolean(),
  autoReconcile: z.enum(['off', 'restore']),
  pathMappings: z.array(z.object({ container: z.string(), host: z.string() })).optional(),
  requireValidation: z.boolean().optional(),
});

const deviceSchema = z.object({
  name: z.string(),
  transport: z.enum(['ssh', 'local']),
  host: z.string(),
  port: int,
  user: z.string(),
  hostKey: z.string().nullable(),
  jump: z.string().nullable(),
  mode: z.string(),
  pollIntervalSec: int.nullable(),
  sudo: z.boolean(),
  tags: z.array(z.string()),
  pathMappings: z.array(z.object({ container: z.string(), host: z.string() })).optional(),
  storageQuotaBytes: int.nullable().optional(),
  profiles: z.array(profileSchema),
});

const fileSchema = z.object({
  device: z.string(),
  path: remotePath,
  configType: z.string(),
  profile: z.string(),
  /** The latest bytes' hash; null for a deleted file. */
  hash: hash.nullable(),
  /** The blob holds the bytes (false: hash only, as stored). */
  hasContent: z.boolean(),
  size: int.nullable(),
  mode: int.nullable(),
  uid: int.nullable(),
  gid: int.nullable(),
  deleted: z.boolean(),
});

const versionSchema = z.object({
  id: z.string().regex(/^[0-9A-Z]{26}$/),
  device: z.string(),
  path: remotePath,
  configType: z.string(),
  profile: z.string(),
  changeType: z.enum(['initial', 'created', 'modified', 'deleted', 'moved', 'metadata']),
  source: z.string(),
  hash: hash.nullable(),
  hasContent: z.boolean(),
  size: int.nullable(),
  mode: int.nullable(),
  uid: int.nullable(),
  gid: int.nullable(),
  mtimeMs: z.number().nullable(),
  movedFromPath: remotePath.nullable(),
  changeSetId: z.string().nullable(),
  actor: z.string().nullable(),
  detectedAt: z.string(),
  /** The file's baseline is this version. */
  baseline: z.boolean(),
});

const changeSetSchema = z.object({
  id: z.string().regex(/^[0-9A-Z]{26}$/),
  device: z.string(),
  title: z.string(),
  count: int,
  openedAt: z.string(),
  closedAt: z.string().nullable(),
});

export const manifestSchema = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  formatVersion: int,
  confwatchVersion: z.string(),
  createdAt: z.string(),
  /** Always true: configs hold passwords and keys, whether or not the archive is encrypted. */
  containsSecrets: z.literal(true),
  /** How the archive around this manifest was encrypted, or null for a plain archive. */
  encryption: z.object({ cipher: z.string(), kdf: z.string() }).nullable(),
  history: z.boolean(),
  devices: z.array(deviceSchema),
  files: z.array(fileSchema),
  changeSets: z.array(changeSetSchema),
  versions: z.array(versionSchema),
  blobs: z.array(z.object({ hash, size: int })),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestDevice = z.infer<typeof deviceSchema>;
export type ManifestFile = z.infer<typeof fileSchema>;
export type ManifestVersion = z.infer<typeof versionSchema>;
export type ManifestChangeSet = z.infer<typeof changeSetSchema>;

/** Limits an import holds an archive to; what is over them is refused before anything is written. */
export interface ArchiveLimits {
  /** Largest single entry. Default 256 MiB. */
  readonly maxEntryBytes: number;
  /** Largest manifest. Default 256 MiB. */
  readonly maxManifestBytes: number;
  /** Most bytes the whole archive may expand to (decompression bombs). Default 16 GiB. */
  readonly maxTotalBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = Object.freeze({
  maxEntryBytes: 256 * 1024 * 1024,
  maxManifestBytes: 256 * 1024 * 1024,
  maxTotalBytes: 16 * 1024 * 1024 * 1024,
});
