/**
 * Turns "this path may have changed" into stored snapshots: reads the files
 * (one remote round trip per batch), hashes them, compares with the tracked
 * file, stores only real changes (one transaction per batch), emits
 * `config.changed` per snapshot at once and assigns change sets.
 */
import type { OwnWrites } from '../devices/own-writes.js';
import type { EventBus } from '../events/event-bus.js';
import type { ChangeType, SnapshotSource } from '../events/event-map.js';
import type { Logger } from '../logging.js';
import type { ConfigType } from '../parsers/parser.js';
import type { DeviceRecord, SnapshotRecord, TrackedFileRecord } from '../store/records.js';
import type { NewSnapshot, SnapshotStore } from '../store/snapshot-store.js';
import { displayPath, type RemotePath } from '../transport/remote-path.js';
import type { FileStat, Transport } from '../transport/transport.js';
import type { Correlator } from './correlator.js';
import { sha256Hex } from '../hash.js';
import { buildFetchScript, type FetchRequest, type FetchResult, parseFetch } from './poll-script.js';
import { linkHash, resolveLinkTarget, rootOf } from './symlink.js';

/** What is known about a file on the host at capture time. */
export type ObservedFile =
  | { readonly kind: 'content'; readonly stat: FileStat; readonly content: Buffer }
  /** Bytes not fetched: over maxFileBytes, or known unchanged. */
  | { readonly kind: 'hash-only'; readonly stat: FileStat; readonly hash: string | null }
  /** A symlink recorded as a link (its target not watched): its target, never its target's bytes. */
  | { readonly kind: 'link'; readonly stat: FileStat; readonly target: RemotePath }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly message: string };

export interface CaptureRequest {
  readonly path: RemotePath;
  /** `deleted` is a claim (an event said so): the file is looked at first and recorded as deleted only if it is really gone. */
  readonly kind: 'changed' | 'deleted' | 'moved';
  /** For `moved`: the old path, which gets a tombstone. */
  readonly movedFrom?: RemotePath;
  readonly detectedAt: string;
  /** Already read by the caller (scanner): capture skips reading this path. */
  readonly observed?: ObservedFile;
}

export interface CaptureOptions {
  /** Record new files as `initial` instead of `created` (a device's first scan). */
  readonly initial?: boolean;
}

/**
 * What capture asks of the device's compiled watch set. Declared here
 * narrowly, as capture uses it (devices/watch-set.ts implements it as is).
 */
export interface CaptureScope {
  /** The profile a path belongs to, or null when no profile watches it. */
  match(path: RemotePath): { readonly profile: { readonly name: string } } | null;
  /** The config type to record: the profile's forced type, else detected. */
  configTypeFor(path: RemotePath, content: Buffer | null): ConfigType;
  /** The size limit of the matching profile. */
  maxFileBytes(path: RemotePath): number;
  /** The directories the globs start at (reads by a watched name pass no link below them). */
  roots(): RemotePath[];
}

export interface CaptureServiceDeps {
  readonly device: DeviceRecord;
  readonly watchSet: CaptureScope;
  readonly transport: Pick<Transport, 'readFile' | 'stat' | 'run'>;
  readonly store: SnapshotStore;
  readonly bus: EventBus;
  readonly correlator: Correlator;
  readonly log?: Logger;
  /** Versions confwatch is writing itself: the write-back records them, capture does not. Default: none. */
  readonly ownWrites?: Pick<OwnWrites, 'isOwn'>;
  /** Files read per remote round trip and snapshots per transaction. Default 500. */
  readonly batchSize?: number;
  /**
   * Bytes of file content the device's history may hold. Past it, new
   * versions are stored with hash and metadata only and `storage.quota` is
   * published once. Default: the device's own (`--quota`), else
   * DEFAULT_STORAGE_QUOTA_BYTES.
   */
  readonly storageQuotaBytes?: number;
}

/** One device's stored contents at most, by default: hundreds of thousands of config versions. */
export const DEFAULT_STORAGE_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;

/** Files read in one fetch are also capped by their summed size limits, to bound memory. */
const MAX_BATCH_BYTES = 32 * 1024 * 1024;

/** The tracked state capture compares against, updated as a batch is decided. */
type Known = Pick<
  TrackedFileRecord,
  'contentHash' | 'deleted' | 'mode' | 'uid' | 'gid' | 'size' | 'mtimeMs' | 'ino' | 'configType' | 'profile' | 'syncStatus'
>;

interface Decision {
  readonly path: RemotePath;
  readonly snapshot?: Omit<NewSnapshot, 'changeSetId'>;
  /** Tracked-file fixes that need no snapshot (stat cache, unreadable, recovered). */
  readonly patch?: Parameters<SnapshotStore['updateTrackedFile']>[2];
}

export class CaptureService {
  readonly #deps: Readonly<CaptureServiceDeps>;
  readonly #batchSize: number;
  /** Content bytes the device's snapshots hold, read from the store once, then counted here. */
  #storedBytes: number | undefined;
  #quotaAnnounced = false;

  constructor(deps: CaptureServiceDeps) {
    this.#deps = Object.freeze({ ...deps });
    this.#batchSize = Math.max(1, deps.batchSize ?? 500);
  }

  /**
   * Captures the requests and returns the snapshots stored, in request
   * order. Unchanged files store nothing; unreadable files are marked on
   * their tracked row. Rejects on transport or store failure.
   */
  capture(requests: readonly CaptureRequest[], source: SnapshotSource, options: CaptureOptions = {}): Promise<SnapshotRecord[]> {
    return this.#deps.correlator.whileBusy(() => this.#captureAll(requests, source, options));
  }

  async #captureAll(requests: readonly CaptureRequest[], source: SnapshotSource, options: CaptureOptions): Promise<SnapshotRecord[]> {
    const stored: SnapshotRecord[] = [];
    // read the next batch while the current one is decided and stored
    const batches = [...this.#batches(requests)];
    let reading = batches[0] ? this.#observe(batches[0]) : undefined;
    for (const [i, batch] of batches.entries()) {
      const observed = await (reading as Promise<Map<RemotePath, ObservedFile>>);
      const next = batches[i + 1];
      reading = next ? this.#observe(next) : undefined;
      // a failed read-ahead surfaces when its batch is reached
      reading?.catch(() => undefined);
      stored.push(...(await this.#captureBatch(batch, observed, source, options)));
    }
    return stored;
  }

  *#batches(requests: readonly CaptureRequest[]): Generator<CaptureRequest[]> {
    let batch: CaptureRequest[] = [];
    let bytes = 0;
    for (const request of requests) {
      const cost = request.observed ? 0 : this.#deps.watchSet.maxFileBytes(request.path);
      if (batch.length > 0 && (batch.length >= this.#batchSize || bytes + cost > MAX_BATCH_BYTES)) {
        yield batch;
        batch = [];
        bytes = 0;
      }
      batch.push(request);
      bytes += cost;
    }
    if (batch.length > 0) yield batch;
  }

  async #captureBatch(
    batch: readonly CaptureRequest[],
    observed: ReadonlyMap<RemotePath, ObservedFile>,
    source: SnapshotSource,
    options: CaptureOptions,
  ): Promise<SnapshotRecord[]> {
    const { device, store } = this.#deps;
    const known = await this.#knownState(batch);
    const decisions: Decision[] = [];
    for (const request of batch) {
      for (const decision of this.#decide(request, observed, known, source, options)) decisions.push(decision);
    }
    for (const d of decisions) if (d.patch && !d.snapshot) await this.#patch(d);

    const inputs: NewSnapshot[] = [];
    for (const d of decisions) {
      if (!d.snapshot) continue;
      const changeSetId = await this.#deps.correlator.changeSetFor(d.snapshot.path);
      inputs.push({ ...d.snapshot, changeSetId });
    }
    const records = await store.recordSnapshots(await this.#withinQuota(inputs));
    for (const d of decisions) if (d.snapshot && d.patch) await this.#patch(d);
    for (const record of records) this.#publish(record);
    this.#deps.log?.debug({ device: device.name, requests: batch.length, stored: records.length }, 'captured batch');
    return records;
  }

  /** Drops the bytes of versions that would take the device past its quota (their hash stays). */
  async #withinQuota(inputs: NewSnapshot[]): Promise<NewSnapshot[]> {
    const quota = this.#deps.storageQuotaBytes ?? this.#deps.device.storageQuotaBytes ?? DEFAULT_STORAGE_QUOTA_BYTES;
    if (!inputs.some((i) => i.content)) return inputs;
    this.#storedBytes ??= await this.#deps.store.storedContentBytes(this.#deps.device.name);
    let over = false;
    const kept = inputs.map((input) => {
      if (!input.content) return input;
      if ((this.#storedBytes as number) + input.content.length <= quota) {
        this.#storedBytes = (this.#storedBytes as number) + input.content.length;
        return input;
      }
      over = true;
      const { content, ...rest } = input;
      return { ...rest, contentHash: sha256Hex(content) };
    });
    if (over && !this.#quotaAnnounced) {
      this.#quotaAnnounced = true;
      this.#deps.log?.warn({ device: this.#deps.device.name, quotaBytes: quota }, 'storage quota reached: new versions keep their hash only');
      this.#deps.bus.publish('storage.quota', this.#deps.device.name, { usedBytes: this.#storedBytes as number, quotaBytes: quota });
    }
    return kept;
  }

  async #patch(d: Decision): Promise<void> {
    if (d.patch) await this.#deps.store.updateTrackedFile(this.#deps.device.name, d.path, d.patch);
  }

  /**
   * Reads every request without a prefetched observation in one round trip
   * (a claimed delete too: it is recorded only if the file is gone). Then,
   * in one more round trip each when needed: files that changed while being
   * read are read again, and links whose target is itself watched are read
   * through that target's own name.
   */
  async #observe(batch: readonly CaptureRequest[]): Promise<Map<RemotePath, ObservedFile>> {
    const result = new Map<RemotePath, ObservedFile>();
    const toRead = [...new Set(batch.filter((r) => !r.observed).map((r) => r.path))];
    for (const r of batch) if (r.observed) result.set(r.path, r.observed);
    if (toRead.length === 0) return result;
    let fetched = await this.#fetch(toRead.map((path) => this.#request(path)));
    const unstable = fetched.filter((f) => f.status === 'unstable');
    if (unstable.length > 0) {
      const again = new Map((await this.#fetch(unstable.map(({ path }) => this.#request(path)))).map((f) => [f.path, f]));
      fetched = fetched.map((f) => again.get(f.path) ?? f);
    }
    const through = new Map<RemotePath, RemotePath>();
    for (const f of fetched) {
      if (f.status !== 'link') continue;
      const resolved = resolveLinkTarget(f.path, f.target);
      if (resolved !== f.path && this.#deps.watchSet.match(resolved) !== null) through.set(f.path, resolved);
    }
    const targets =
      through.size === 0
        ? new Map<RemotePath, FetchResult>()
        : new Map((await this.#fetch([...new Set(through.values())].map((path) => this.#request(path)))).map((f) => [f.path, f]));
    for (const f of fetched) {
      const target = targets.get(through.get(f.path) ?? '');
      // read through only to a regular file reached by its own name (no link on the way):
      // a link to a link, or behind a planted directory link, is recorded as the link it is
      const readThrough = target && (target.status === 'ok' || target.status === 'too-large') ? target : undefined;
      result.set(f.path, observedFromFetch(readThrough ?? f));
    }
    return result;
  }

  /** A fetch of a watched name: bounded by its profile, and through no link below its root. */
  #request(path: RemotePath): FetchRequest {
    const { watchSet } = this.#deps;
    return { path, maxBytes: watchSet.maxFileBytes(path), root: rootOf(path, watchSet.roots()) ?? '/' };
  }

  async #fetch(requests: readonly FetchRequest[]): Promise<FetchResult[]> {
    const output = await this.#deps.transport.run(buildFetchScript(requests), { sudo: this.#deps.device.sudo });
    return parseFetch(output.stdout, requests);
  }

  async #knownState(batch: readonly CaptureRequest[]): Promise<Map<RemotePath, Known>> {
    const { device, store } = this.#deps;
    const paths = new Set(batch.flatMap((r) => (r.movedFrom ? [r.path, r.movedFrom] : [r.path])));
    const known = new Map<RemotePath, Known>();
    // only the batch's own rows: reading the whole device per batch made bursts quadratic
    const rows =
      paths.size === 1
        ? [await store.getTrackedFile(device.name, [...paths][0]!)].filter((t) => t !== undefined)
        : await store.getTrackedFiles(device.name, [...paths]);
    for (const row of rows) known.set(row.path, row);
    return known;
  }

  *#decide(
    request: CaptureRequest,
    observed: ReadonlyMap<RemotePath, ObservedFile>,
    known: Map<RemotePath, Known>,
    source: SnapshotSource,
    options: CaptureOptions,
  ): Generator<Decision> {
    const base = { device: this.#deps.device.name, source, detectedAt: request.detectedAt };
    // a rename from an untracked name (an editor's or sed's temp file) is a plain change
    const movedFrom = request.kind === 'moved' && request.movedFrom !== undefined && isLive(known.get(request.movedFrom)) ? request.movedFrom : undefined;
    if (movedFrom !== undefined) {
      const tombstone = this.#tombstone(movedFrom, known, base);
      if (tombstone) yield tombstone;
    }
    const state = observed.get(request.path) ?? (request.kind === 'deleted' ? { kind: 'missing' as const } : undefined);
    if (!state || state.kind === 'missing') {
      const tombstone = this.#tombstone(request.path, known, base);
      if (tombstone) yield tombstone;
      return;
    }
    const match = this.#deps.watchSet.match(request.path);
    if (!match) return;
    const previous = known.get(request.path);
    const live = isLive(previous) ? previous : undefined;

    if (state.kind === 'unreadable') {
      const patch = { syncStatus: 'unreadable' as const, lastError: state.message, lastCheckedAt: request.detectedAt };
      if (previous) {
        known.set(request.path, { ...previous, syncStatus: 'unreadable' });
        yield { path: request.path, patch };
        return;
      }
      // first sight of a file we may not read: track it without content
      const configType = this.#deps.watchSet.configTypeFor(request.path, null);
      known.set(request.path, { ...untracked(configType, match.profile.name), deleted: false, syncStatus: 'unreadable' });
      yield {
        path: request.path,
        snapshot: { ...base, path: request.path, configType, profile: match.profile.name, changeType: newFileType(movedFrom, options), contentHash: null, movedFromPath: movedFrom ?? null, setBaseline: true },
        patch,
      };
      return;
    }

    const hash = state.kind === 'content' ? sha256Hex(state.content) : state.kind === 'link' ? linkHash(state.target) : state.hash;
    if (this.#isOwn(request.path, hash)) return;
    const { stat } = state;
    const statFields = { size: stat.size, mode: stat.mode, uid: stat.uid, gid: stat.gid, mtimeMs: stat.mtimeMs, ino: stat.ino };
    const recovered = previous?.syncStatus === 'unreadable' ? { syncStatus: 'synced' as const, lastError: null } : undefined;
    let changeType: ChangeType;
    if (!live) changeType = newFileType(movedFrom, options);
    else if (hash !== null && hash === live.contentHash) {
      if (stat.mode === live.mode && stat.uid === live.uid && stat.gid === live.gid) {
        // same bytes: only refresh the stat cache, and only when it moved (a write per file is costly)
        const statMoved = stat.size !== live.size || stat.mtimeMs !== live.mtimeMs || stat.ino !== live.ino;
        if (statMoved || recovered) {
          known.set(request.path, { ...live, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, syncStatus: 'synced' });
          yield { path: request.path, patch: { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, lastCheckedAt: request.detectedAt, ...recovered } };
        }
        return;
      }
      changeType = 'metadata';
    } else if (state.kind === 'link') changeType = 'metadata';
    else changeType = movedFrom !== undefined ? 'moved' : 'modified';

    const content = state.kind === 'content' && changeType !== 'metadata' ? state.content : undefined;
    const configType = live && changeType === 'metadata' ? live.configType : this.#deps.watchSet.configTypeFor(request.path, content ?? null);
    known.set(request.path, { ...statFields, contentHash: hash, deleted: false, configType, profile: match.profile.name, syncStatus: 'synced' });
    yield {
      path: request.path,
      snapshot: {
        ...base,
        ...statFields,
        path: request.path,
        configType,
        profile: match.profile.name,
        changeType,
        ...(content ? { content } : { contentHash: hash }),
        movedFromPath: changeType === 'moved' ? (movedFrom ?? null) : null,
        setBaseline: !live,
      },
      ...(recovered && { patch: recovered }),
    };
  }

  #tombstone(
    path: RemotePath,
    known: Map<RemotePath, Known>,
    base: { device: string; source: SnapshotSource; detectedAt: string },
  ): Decision | undefined {
    const previous = known.get(path);
    if (!previous || previous.deleted || this.#isOwn(path, null)) return undefined;
    known.set(path, { ...previous, deleted: true, contentHash: null });
    return { path, snapshot: { ...base, path, configType: previous.configType, profile: previous.profile, changeType: 'deleted', contentHash: null } };
  }

  #isOwn(path: RemotePath, hash: string | null): boolean {
    return this.#deps.ownWrites?.isOwn(this.#deps.device.name, path, hash) === true;
  }

  #publish(record: SnapshotRecord): void {
    announceVersion(this.#deps.bus, record);
  }

}

/** Publishes `config.changed` for a stored version: capture's and write-back's versions are announced alike. */
export function announceVersion(bus: Pick<EventBus, 'publish'>, record: SnapshotRecord): void {
  bus.publish('config.changed', record.device, {
    path: record.path,
    snapshotId: record.id,
    contentHash: record.contentHash,
    changeType: record.changeType,
    source: record.source,
    changeSetId: record.changeSetId,
    detectedAt: record.detectedAt,
    storedAt: record.storedAt,
  });
}

const newFileType = (movedFrom: RemotePath | undefined, options: CaptureOptions): ChangeType =>
  movedFrom !== undefined ? 'moved' : options.initial ? 'initial' : 'created';

const isLive = (known: Known | undefined): known is Known => known !== undefined && !known.deleted;

const untracked = (configType: ConfigType, profile: string): Known => ({
  contentHash: null,
  deleted: false,
  mode: null,
  uid: null,
  gid: null,
  size: null,
  mtimeMs: null,
  ino: null,
  configType,
  profile,
  syncStatus: 'unknown',
});

/** The capture view of a fetch result. */
export function observedFromFetch(fetched: FetchResult): ObservedFile {
  switch (fetched.status) {
    case 'ok':
      return { kind: 'content', stat: fetched.stat, content: fetched.content };
    case 'too-large':
      return { kind: 'hash-only', stat: fetched.stat, hash: fetched.hash };
    case 'link':
      return { kind: 'link', stat: fetched.stat, target: fetched.target };
    case 'missing':
      return { kind: 'missing' };
    case 'unreadable':
      return { kind: 'unreadable', message: `permission denied reading ${displayPath(fetched.path)}` };
    case 'unstable':
      return { kind: 'unreadable', message: `${displayPath(fetched.path)} kept changing while it was read; it is read again on its next change` };
  }
}
