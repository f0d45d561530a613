/**
 * Export, import and the git mirror (SPEC §11.4), for the CLI and the API.
 * Export streams; import reads the archive twice: once to check all of it
 * (archive/archive-reader.ts), once to act, so a refused archive leaves
 * the store and the hosts as they were.
 */
import type { Writable } from 'node:stream';
import { ConfwatchError } from '../errors.js';
import { isValidName } from '../config/names.js';
import { readBlobs, type ReadArchiveOptions, verifyArchive } from '../archive/archive-reader.js';
import { writeArchive } from '../archive/archive-writer.js';
import { exportGitMirror, type GitMirrorResult } from '../archive/git-mirror.js';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_VERSION,
  type Manifest,
  type ManifestDevice,
  type ManifestFile,
  type ManifestVersion,
} from '../archive/manifest.js';
import type { ArchiveRepository } from '../store/archive.repository.js';
import type { ChangeSetRecord, DeviceRecord } from '../store/records.js';
import type { NewSnapshot, SnapshotStore } from '../store/snapshot-store.js';
import type { ChangeType, SnapshotSource } from '../events/event-map.js';
import type { ConfigType } from '../parsers/parser.js';
import type { BatchChange, BatchFileResult, BatchResult } from '../writeback/batch.js';
import type { ChangeRequestService, ChangeRequestView } from './change-request.service.js';
import { riskOf } from './history.service.js';
import { GitBlobReader, readGitHistory } from '../archive/git-history.js';
import { detectConfigType } from '../parsers/detect-type.js';
import { idFor } from '../store/ids.js';
import { createHash } from 'node:crypto';

/** Tools whose git history `import --from` reads, and where their repository's files live on the host. */
export const GIT_HISTORY_SOURCES = {
  /** etckeeper keeps /etc in git: `nginx/nginx.conf` is `/etc/nginx/nginx.conf`; its own metadata files are left out. */
  etckeeper: (path: string): string | null => (path === '.etckeeper' || path === '.gitignore' || path.startsWith('.git/') ? null : `/etc/${path}`),
  /** oxidized keeps one file per network node (`<group>/<node>`): the node's config becomes `/<group>/<node>` on the device named. */
  oxidized: (path: string): string | null => (path.startsWith('.git/') ? null : `/${path}`),
} as const;

export type GitHistorySource = keyof typeof GIT_HISTORY_SOURCES;

export interface GitImportResult {
  readonly from: GitHistorySource;
  readonly device: string;
  readonly dryRun: boolean;
  readonly commits: number;
  readonly versions: number;
  readonly alreadyPresent: number;
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
}

const seedOf = (text: string): Buffer => createHash('sha256').update(text).digest();

export const CONFWATCH_VERSION = process.env.npm_package_version ?? '0.1.0';

export interface ExportOptions {
  /** Only these devices; default all. */
  readonly devices?: readonly string[];
  /** Every version, not only each file's latest bytes. */
  readonly history?: boolean;
  readonly passphrase?: string;
  readonly onProgress?: (done: { blobs: number; bytes: number; totalBlobs: number; totalBytes: number }) => void;
  readonly signal?: AbortSignal;
}

export interface ExportResult {
  readonly devices: number;
  readonly files: number;
  readonly versions: number;
  readonly blobs: number;
  /** Bytes of file content in the archive (before compression). */
  readonly contentBytes: number;
  readonly encrypted: boolean;
}

export type ImportMode = 'verify' | 'dry-run' | 'apply' | 'propose' | 'history-only';

export interface ImportOptions extends ReadArchiveOptions {
  readonly mode: ImportMode;
  /** With `history-only`: count what would be imported, write nothing. */
  readonly dryRun?: boolean;
  readonly actor: string;
}

export interface ImportFileResult {
  readonly device: string;
  readonly path: string;
  readonly action: BatchFileResult['action'] | 'skipped';
  readonly diff?: string;
  readonly refused?: string;
  readonly reason?: string;
}

export interface ImportResult {
  readonly mode: ImportMode;
  readonly dryRun: boolean;
  readonly format: { readonly version: number; readonly confwatchVersion: string; readonly createdAt: string; readonly encrypted: boolean };
  readonly devices: readonly string[];
  /** verify, dry-run, apply: the archive's files and what happens to each. */
  readonly files?: readonly ImportFileResult[];
  readonly batchId?: string;
  /** propose: the change request opened with the archive's files. */
  readonly changeRequest?: { readonly id: string; readonly status: string; readonly riskLevel: string; readonly requiredApprovals: number; readonly title: string };
  /** history-only: what was (or would be) added. */
  readonly history?: {
    readonly versions: number;
    readonly alreadyPresent: number;
    readonly changeSets: number;
    readonly devicesCreated: readonly string[];
    readonly blobs: number;
  };
}

export interface ArchiveServiceDeps {
  readonly store: SnapshotStore;
  readonly repository: ArchiveRepository;
  /** The write-back batch engine (WritebackService.applyChanges). */
  readonly batch: {
    applyChanges(changes: readonly BatchChange[], options: { actor: string; operation: string; source: SnapshotSource; dryRun?: boolean }): Promise<BatchResult>;
  };
  /** Change requests (ChangeRequestService.propose), for `import --propose`; without it `propose` is refused. */
  readonly proposer?: Pick<ChangeRequestService, 'propose'>;
}

const HISTORY_CHUNK = 200;

export class ArchiveService {
  readonly #store: SnapshotStore;
  readonly #repo: ArchiveRepository;
  readonly #batch: ArchiveServiceDeps['batch'];
  readonly #proposer: ArchiveServiceDeps['proposer'];

  constructor(deps: ArchiveServiceDeps) {
    this.#store = deps.store;
    this.#repo = deps.repository;
    this.#batch = deps.batch;
    this.#proposer = deps.proposer;
  }

  /** The devices named (all when none); rejects CW_ERR_NOT_FOUND for an unknown name. */
  async resolveDevices(names: readonly string[] | undefined): Promise<DeviceRecord[]> {
    const all = await this.#store.listDevices();
    if (!names || names.length === 0) return all;
    return names.map((name) => {
      const device = all.find((d) => d.name === name);
      if (!device) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown device "${name}"; see \`confwatch device list\``);
      return device;
    });
  }

  /** Builds the manifest: devices without secrets, files, and with `history` every version and change set. */
  async manifest(options: Pick<ExportOptions, 'devices' | 'history'> & { encryption?: Manifest['encryption'] } = {}): Promise<Manifest> {
    const devices = await this.resolveDevices(options.devices);
    const names = devices.map((d) => d.name);
    const blobs = new Map<string, number>();
    const files: ManifestFile[] = [];
    const baselines = new Set<string>();
    const profileOf = new Map<string, string>();
    for (const device of devices) {
      for (const tracked of await this.#store.listTrackedFiles(device.name)) {
        const latest = tracked.latestSnapshotId ? await this.#store.getSnapshot(tracked.latestSnapshotId) : undefined;
        const hasContent = latest?.hasContent === true && !tracked.deleted && tracked.contentHash !== null;
        if (hasContent) blobs.set(tracked.contentHash as string, latest?.size ?? 0);
        if (tracked.baselineSnapshotId) baselines.add(tracked.baselineSnapshotId);
        profileOf.set(`${device.name}\0${tracked.path}`, tracked.profile);
        files.push({
          device: device.name,
          path: tracked.path,
          configType: tracked.configType,
          profile: tracked.profile,
          hash: tracked.deleted ? null : tracked.contentHash,
          hasContent,
          size: latest?.size ?? tracked.size,
          mode: latest?.mode ?? tracked.mode,
          uid: latest?.uid ?? tracked.uid,
          gid: latest?.gid ?? tracked.gid,
          deleted: tracked.deleted,
        });
      }
    }
    const versions: ManifestVersion[] = [];
    const setIds = new Set<string>();
    if (options.history) {
      for await (const page of this.#repo.versions(names)) {
        for (const v of page) {
          if (v.hasContent && v.contentHash) blobs.set(v.contentHash, v.size ?? 0);
          if (v.changeSetId) setIds.add(v.changeSetId);
          versions.push({
            id: v.id,
            device: v.device,
            path: v.path,
            configType: v.configType,
            profile: profileOf.get(`${v.device}\0${v.path}`) ?? 'custom',
            changeType: v.changeType,
            source: v.source,
            hash: v.contentHash,
            hasContent: v.hasContent && v.contentHash !== null,
            size: v.size,
            mode: v.mode,
            uid: v.uid,
            gid: v.gid,
            mtimeMs: v.mtimeMs,
            movedFromPath: v.movedFromPath,
            changeSetId: v.changeSetId,
            actor: v.actor,
            detectedAt: v.detectedAt,
            baseline: baselines.has(v.id),
          });
        }
      }
    }
    const changeSets = options.history ? await this.#repo.changeSets([...setIds]) : [];
    return {
      format: ARCHIVE_FORMAT,
      formatVersion: ARCHIVE_FORMAT_VERSION,
      confwatchVersion: CONFWATCH_VERSION,
      createdAt: new Date().toISOString(),
      containsSecrets: true,
      encryption: options.encryption ?? null,
      history: options.history === true,
      devices: await Promise.all(devices.map((d) => this.#manifestDevice(d))),
      files,
      changeSets: changeSets.sort((a, b) => (a.id < b.id ? -1 : 1)),
      versions,
      blobs: [...blobs].map(([hash, size]) => ({ hash, size })),
    };
  }

  async #manifestDevice(device: DeviceRecord): Promise<ManifestDevice> {
    const profiles = await this.#store.listProfiles(device.name);
    // identityFile and the passphrase stay here: an archive names no key paths and holds no secrets of confwatch's own
    return {
      name: device.name,
      transport: device.transport,
      host: device.host,
      port: device.port,
      user: device.user,
      hostKey: device.hostKey,
      jump: device.jump,
      mode: device.mode,
      pollIntervalSec: device.pollIntervalSec,
      sudo: device.sudo,
      tags: [...device.tags],
      pathMappings: [...(device.pathMappings ?? [])],
      storageQuotaBytes: device.storageQuotaBytes ?? null,
      profiles: profiles.map((p) => ({
        name: p.name,
        configType: p.configType,
        paths: [...p.paths],
        exclude: [...p.exclude],
        pollIntervalSec: p.pollIntervalSec,
        maxFileBytes: p.maxFileBytes,
        validateCommand: p.validateCommand,
        reloadCommand: p.reloadCommand,
        validateOnCapture: p.validateOnCapture,
        autoReconcile: p.autoReconcile,
        pathMappings: [...(p.pathMappings ?? [])],
        requireValidation: p.requireValidation === true,
      })),
    };
  }

  /** Streams an archive into `out`. */
  async export(out: Writable, options: ExportOptions = {}): Promise<ExportResult> {
    const encrypted = options.passphrase !== undefined;
    const manifest = await this.manifest({ ...options, encryption: encrypted ? { cipher: 'aes-256-gcm', kdf: 'scrypt' } : null });
    const totalBytes = manifest.blobs.reduce((sum, b) => sum + b.size, 0);
    const written = await writeArchive(manifest, (hash) => this.#store.readContent({ contentHash: hash }), out, {
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (done) => options.onProgress?.({ ...done, totalBlobs: manifest.blobs.length, totalBytes }),
    });
    return { devices: manifest.devices.length, files: manifest.files.length, versions: manifest.versions.length, blobs: written.blobs, contentBytes: written.bytes, encrypted };
  }

  /** Checks an archive, then previews, applies or migrates it as `mode` says. */
  async import(file: string, options: ImportOptions): Promise<ImportResult> {
    if (options.mode === 'propose' && !this.#proposer) throw new ConfwatchError('CW_ERR_UNAVAILABLE', 'import --propose needs change requests, which this confwatch does not have; use --dry-run, then --apply');
    const { manifest, encrypted } = await verifyArchive(file, options);
    for (const name of new Set([...manifest.devices.map((d) => d.name), ...manifest.files.map((f) => f.device), ...manifest.versions.map((v) => v.device)])) {
      if (!isValidName(name)) throw new ConfwatchError('CW_ERR_ARCHIVE_REFUSED', `archive entry "manifest.json" refused: device name ${JSON.stringify(name)} is not a valid name; nothing was imported`);
    }
    const base = {
      mode: options.mode,
      dryRun: options.dryRun === true || options.mode === 'dry-run' || options.mode === 'verify',
      format: { version: manifest.formatVersion, confwatchVersion: manifest.confwatchVersion, createdAt: manifest.createdAt, encrypted },
      devices: manifest.devices.map((d) => d.name),
    };
    if (options.mode === 'history-only') return { ...base, history: await this.#importHistory(file, manifest, options) };
    if (options.mode === 'verify') {
      return { ...base, files: manifest.files.map((f) => ({ device: f.device, path: f.path, action: 'skipped' as const, reason: 'verified only' })) };
    }
    return { ...base, ...(await this.#applyFiles(file, manifest, options)) };
  }

  async #applyFiles(file: string, manifest: Manifest, options: ImportOptions): Promise<Pick<ImportResult, 'batchId' | 'changeRequest'> & { files: ImportFileResult[] }> {
    const here = new Set((await this.#store.listDevices()).map((d) => d.name));
    const missing = [...new Set(manifest.files.map((f) => f.device))].filter((d) => !here.has(d));
    if (missing.length) {
      throw new ConfwatchError('CW_ERR_NOT_FOUND', `the archive's device${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not known here; add ${missing.length > 1 ? 'them' : 'it'} with \`confwatch device add\` first`);
    }
    const skipped: ImportFileResult[] = [];
    const wanted = new Map<string, ManifestFile[]>();
    for (const f of manifest.files) {
      if (f.deleted) skipped.push({ device: f.device, path: f.path, action: 'skipped', reason: 'deleted in the archive' });
      else if (!f.hasContent || !f.hash) skipped.push({ device: f.device, path: f.path, action: 'skipped', reason: 'the archive holds its hash only' });
      else wanted.set(f.hash, [...(wanted.get(f.hash) ?? []), f]);
    }
    const contents = new Map<string, Buffer>();
    await readBlobs(file, options, (hash) => wanted.has(hash), (hash, bytes) => {
      contents.set(hash, bytes);
    });
    const changes: BatchChange[] = [];
    for (const [hash, entries] of wanted) {
      for (const f of entries) {
        changes.push({
          device: f.device,
          path: f.path,
          content: contents.get(hash) as Buffer,
          ...(f.mode !== null ? { defaultMode: f.mode & 0o7777 } : {}),
          ...(f.uid !== null ? { defaultUid: f.uid } : {}),
          ...(f.gid !== null ? { defaultGid: f.gid } : {}),
        });
      }
    }
    if (changes.length === 0) return { files: skipped };
    if (options.mode === 'propose' && !options.dryRun) {
      const request: ChangeRequestView = await (this.#proposer as NonNullable<ArchiveServiceDeps['proposer']>).propose(options.actor, {
        title: `import of ${manifest.files.length} file${manifest.files.length === 1 ? '' : 's'} from an archive made ${manifest.createdAt}`,
        changes: changes.map((c) => ({ device: c.device, path: c.path, source: { kind: 'content' as const, content: c.content as Buffer } })),
      });
      return {
        files: [...changes.map((c) => ({ device: c.device, path: c.path, action: 'write' as const })), ...skipped],
        changeRequest: { id: request.id, status: request.status, riskLevel: request.riskLevel, requiredApprovals: request.requiredApprovals, title: request.title },
      };
    }
    const result = await this.#batch.applyChanges(changes, { actor: options.actor, operation: 'import', source: 'import', dryRun: options.mode === 'dry-run' || options.dryRun === true });
    const files: ImportFileResult[] = result.files.map((f) => ({
      device: f.device,
      path: f.path,
      action: f.action,
      diff: f.diff,
      ...(f.refused ? { refused: f.refused } : {}),
    }));
    return { files: [...files, ...skipped], batchId: result.batchId };
  }

  async #importHistory(file: string, manifest: Manifest, options: ImportOptions): Promise<NonNullable<ImportResult['history']>> {
    const existing = await this.#repo.existingSnapshotIds(manifest.versions.map((v) => v.id));
    const fresh = manifest.versions.filter((v) => !existing.has(v.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
    // a file whose history here goes past the first imported version would get versions out of order
    const firstNew = new Map<string, Map<string, string>>();
    for (const v of fresh) {
      const paths = firstNew.get(v.device) ?? new Map<string, string>();
      if (!paths.has(v.path)) paths.set(v.path, v.id);
      firstNew.set(v.device, paths);
    }
    const knownDevices = new Set((await this.#store.listDevices()).map((d) => d.name));
    for (const [device, paths] of firstNew) {
      if (!knownDevices.has(device)) continue;
      for (const tracked of await this.#store.getTrackedFiles(device, [...paths.keys()])) {
        const first = paths.get(tracked.path) as string;
        if (tracked.latestSnapshotId && tracked.latestSnapshotId > first) {
          throw new ConfwatchError('CW_ERR_IMPORT_CONFLICT', `${device}:${tracked.path} already has versions here newer than the archive's ${first}; import history into an instance without them`);
        }
      }
    }
    const toCreate = manifest.devices.filter((d) => !knownDevices.has(d.name) && (firstNew.has(d.name) || !options.dryRun));
    const blobHashes = new Set(fresh.filter((v) => v.hasContent && v.hash).map((v) => v.hash as string));
    const setIds = new Set(fresh.map((v) => v.changeSetId).filter((id): id is string => id !== null));
    const sets: ChangeSetRecord[] = manifest.changeSets.filter((s) => setIds.has(s.id));
    if (options.dryRun) {
      return { versions: fresh.length, alreadyPresent: existing.size, changeSets: sets.length, devicesCreated: toCreate.map((d) => d.name), blobs: blobHashes.size };
    }
    const created: string[] = [];
    for (const device of orderByJump(toCreate)) {
      await this.#store.addDevice(
        {
          name: device.name,
          transport: device.transport,
          host: device.host,
          port: device.port,
          user: device.user,
          identityFile: null,
          hostKey: device.hostKey,
          jump: device.jump && (knownDevices.has(device.jump) || created.includes(device.jump)) ? device.jump : null,
          mode: device.mode as DeviceRecord['mode'],
          pollIntervalSec: device.pollIntervalSec,
          sudo: device.sudo,
          tags: device.tags,
          pathMappings: device.pathMappings ?? [],
          storageQuotaBytes: device.storageQuotaBytes ?? null,
        },
        device.profiles.map((p) => ({ ...p, device: device.name, configType: p.configType as ConfigType | null, pathMappings: p.pathMappings ?? [], requireValidation: p.requireValidation === true })),
      );
      created.push(device.name);
    }
    let blobs = 0;
    await readBlobs(file, options, (hash) => blobHashes.has(hash), async (_hash, bytes) => {
      await this.#store.keepContent(bytes);
      blobs++;
    });
    await this.#repo.insertChangeSets(sets);
    for (let i = 0; i < fresh.length; i += HISTORY_CHUNK) {
      await this.#store.recordSnapshots(fresh.slice(i, i + HISTORY_CHUNK).map(newSnapshotOf));
    }
    return { versions: fresh.length, alreadyPresent: existing.size, changeSets: sets.length, devicesCreated: created, blobs };
  }

  /**
   * Imports another tool's git history into a device's history: each
   * commit a change set titled with its subject, each file it touched a
   * version dated and authored as the commit. Ids derive from commit and
   * path, so running it again adds nothing.
   */
  async importGitHistory(dir: string, options: { from: GitHistorySource; device: string; dryRun?: boolean }): Promise<GitImportResult> {
    const [device] = await this.resolveDevices([options.device]);
    const name = (device as DeviceRecord).name;
    const mapPath = GIT_HISTORY_SOURCES[options.from];
    const commits = await readGitHistory(dir);
    const skipped = new Map<string, string>();
    let lastMs = 0;
    const planned: { commit: (typeof commits)[number]; setId: string; versions: { id: string; path: string; change: (typeof commits)[number]['changes'][number] }[] }[] = [];
    for (const commit of commits) {
      // ids follow commit order even when author dates go backwards (rebased or imported histories)
      const ms = Math.max(Date.parse(commit.date) || 0, lastMs + 1);
      lastMs = ms;
      const versions = [];
      for (const change of commit.changes) {
        const path = mapPath(change.path);
        if (path === null) continue;
        if (change.mode === '120000' || change.mode === '160000') {
          skipped.set(path, change.mode === '120000' ? 'a symbolic link in the repository' : 'a submodule');
          continue;
        }
        versions.push({ id: idFor(ms, seedOf(`${commit.sha}\0${change.path}`)), path, change });
      }
      if (versions.length) planned.push({ commit, setId: idFor(ms, seedOf(commit.sha)), versions });
    }
    const all = planned.flatMap((p) => p.versions.map((v) => v.id));
    const existing = await this.#repo.existingSnapshotIds(all);
    const fresh = planned.map((p) => ({ ...p, versions: p.versions.filter((v) => !existing.has(v.id)) })).filter((p) => p.versions.length);
    const firstNew = new Map<string, string>();
    for (const p of fresh) for (const v of p.versions) if (!firstNew.has(v.path)) firstNew.set(v.path, v.id);
    for (const tracked of await this.#store.getTrackedFiles(name, [...firstNew.keys()])) {
      const first = firstNew.get(tracked.path) as string;
      if (tracked.latestSnapshotId && tracked.latestSnapshotId > first) {
        throw new ConfwatchError('CW_ERR_IMPORT_CONFLICT', `${name}:${tracked.path} already has versions here newer than the repository's; import into a device without them`);
      }
    }
    const count = fresh.reduce((n, p) => n + p.versions.length, 0);
    const result = { from: options.from, device: name, dryRun: options.dryRun === true, commits: fresh.length, versions: count, alreadyPresent: existing.size, skipped: [...skipped].map(([path, reason]) => ({ path, reason })) };
    if (options.dryRun) return result;
    const reader = new GitBlobReader(dir);
    const seen = new Set((await this.#store.getTrackedFiles(name, [...firstNew.keys()])).map((t) => t.path));
    try {
      for (const p of fresh) {
        await this.#repo.insertChangeSets([{ id: p.setId, device: name, title: p.commit.subject || p.commit.sha.slice(0, 12), count: p.versions.length, openedAt: p.commit.date, closedAt: p.commit.date }]);
        const inputs: NewSnapshot[] = [];
        for (const v of p.versions) {
          const actor = p.commit.author || p.commit.email || null;
          const base = { id: v.id, device: name, path: v.path, profile: 'custom', source: 'import' as const, changeSetId: p.setId, actor, detectedAt: p.commit.date };
          if (v.change.status === 'D') {
            inputs.push({ ...base, configType: detectConfigType(v.path), changeType: 'deleted' });
          } else {
            const content = await reader.read(v.change.blob as string);
            inputs.push({ ...base, configType: detectConfigType(v.path, content), changeType: seen.has(v.path) ? 'modified' : 'initial', content, mode: Number.parseInt(v.change.mode, 8) & 0o7777 });
          }
          seen.add(v.path);
        }
        await this.#store.recordSnapshots(inputs);
      }
    } finally {
      await reader.close();
    }
    return result;
  }

  /** Appends the history of the devices (all by default) to the git mirror in `dir`. */
  async gitMirror(dir: string, options: { devices?: readonly string[]; redact?: boolean; signal?: AbortSignal } = {}): Promise<GitMirrorResult> {
    const names = (await this.resolveDevices(options.devices)).map((d) => d.name);
    return exportGitMirror(
      dir,
      {
        versions: (after) => this.#repo.versions(names, after),
        readContent: (snapshot) => this.#store.readContent(snapshot),
        changeSets: (ids) => this.#repo.changeSets(ids),
        riskOf: (snapshot) => {
          try {
            return riskOf(snapshot.impact);
          } catch {
            return null;
          }
        },
      },
      { ...(options.redact === false ? { redact: false } : {}), ...(options.signal ? { signal: options.signal } : {}) },
    );
  }
}

const newSnapshotOf = (v: ManifestVersion): NewSnapshot => ({
  id: v.id,
  device: v.device,
  path: v.path,
  configType: v.configType as ConfigType,
  profile: v.profile,
  changeType: v.changeType as ChangeType,
  source: v.source as SnapshotSource,
  contentHash: v.hash,
  size: v.size,
  mode: v.mode,
  uid: v.uid,
  gid: v.gid,
  mtimeMs: v.mtimeMs,
  movedFromPath: v.movedFromPath,
  changeSetId: v.changeSetId,
  actor: v.actor,
  detectedAt: v.detectedAt,
  ...(v.baseline ? { setBaseline: true } : {}),
});

/** Devices a jump host names come after it. */
function orderByJump(devices: readonly ManifestDevice[]): ManifestDevice[] {
  const out: ManifestDevice[] = [];
  const pending = [...devices];
  while (pending.length) {
    const index = pending.findIndex((d) => !d.jump || !pending.some((p) => p.name === d.jump));
    out.push(...pending.splice(Math.max(index, 0), 1));
  }
  return out;
}


