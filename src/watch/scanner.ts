/**
 * Polling and reconcile scans: one remote listing per scan (metadata and
 * hashes), compared with the store's tracked files; the contents of new and
 * changed files are fetched in batches and handed to the CaptureService,
 * which stores them. A vanished file whose inode and bytes turn up under a
 * new path is recorded as a move (detect/scan-moves.ts). Scans of one device
 * never overlap.
 */
import type { CaptureRequest, CaptureService, ObservedFile } from '../detect/capture.js';
import { observedFromFetch } from '../detect/capture.js';
import { buildFetchScript, buildListingScript, type ListingEntry, parseFetch, parseListing, type ScriptFlavour } from '../detect/poll-script.js';
import { confirmsMove, pairScanMoves } from '../detect/scan-moves.js';
import { linkHash, resolveLinkTarget, rootOf } from '../detect/symlink.js';
import type { Logger } from '../logging.js';
import type { DeviceRecord, TrackedFileRecord } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { type RemotePath, remotePathToBytes } from '../transport/remote-path.js';
import type { Transport } from '../transport/transport.js';
import { collapseRoots, type WatchSet } from '../devices/watch-set.js';

export interface ScanOptions {
  /** Restrict the scan to these directories (after a burst, or a new directory). */
  readonly dirs?: readonly RemotePath[];
}

export interface ScanResult {
  /** Watched files found on the host. */
  readonly listed: number;
  /** Files handed to capture as (possibly) changed, created or deleted. */
  readonly changed: number;
  /** Snapshots stored. */
  readonly stored: number;
  readonly durationMs: number;
  /** Script and output bytes of the scan's remote requests. */
  readonly bytesTransferred: number;
  /** Remote requests made. */
  readonly remoteCommands: number;
}

export interface ScannerDeps {
  readonly device: DeviceRecord;
  readonly watchSet: WatchSet;
  readonly transport: Pick<Transport, 'run'>;
  readonly store: Pick<SnapshotStore, 'listTrackedFiles'>;
  readonly capture: Pick<CaptureService, 'capture'>;
  readonly log?: Logger;
  /** Remote tool set; default 'auto' (probed inside the script). */
  readonly flavour?: ScriptFlavour;
  /** Files fetched per request. Default 500. */
  readonly fetchBatch?: number;
  /** Remote listing timeout. Default 120 s. */
  readonly timeoutMs?: number;
}

/** What a listed file needs, compared with its tracked row. */
type Verdict = { readonly need: 'nothing' } | { readonly need: 'fetch' } | { readonly need: 'capture'; readonly observed: ObservedFile };

export class Scanner {
  readonly #deps: Readonly<ScannerDeps>;
  /**
   * The host's clock when the last full listing whose changes were all
   * stored started: the next poll hashes only what changed after it. Kept
   * here, not in a marker file on the host, so nobody there can redirect or
   * blind it; a restarted confwatch hashes everything once.
   */
  #since: number | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: ScannerDeps) {
    this.#deps = Object.freeze({ ...deps });
  }

  /**
   * Lists, compares and captures. `poll` hashes only files changed since the
   * previous poll; `rescan` and directory scans hash everything they list.
   * Rejects (storing nothing for missing files) when the listing fails.
   */
  scan(source: 'poll' | 'rescan', options: ScanOptions = {}): Promise<ScanResult> {
    const run = this.#queue.then(() => this.#scan(source, options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #scan(source: 'poll' | 'rescan', options: ScanOptions): Promise<ScanResult> {
    const started = performance.now();
    const { device, watchSet, transport, store } = this.#deps;
    const detectedAt = new Date().toISOString();
    const scoped = options.dirs !== undefined;
    // a directory named by an event is scanned only as far as it lies inside the watched roots
    const roots = scoped ? clipToRoots(options.dirs ?? [], watchSet.roots()) : watchSet.roots();
    // `find` without a path would list its working directory
    if (roots.length === 0) return { listed: 0, changed: 0, stored: 0, durationMs: 0, bytesTransferred: 0, remoteCommands: 0 };
    const traffic = { bytes: 0, commands: 0 };
    const since = !scoped && source === 'poll' && this.#since !== null ? this.#since - SINCE_MARGIN_SEC : null;

    const script = buildListingScript({ roots, namePatterns: watchSet.namePatterns(), flavour: this.#deps.flavour ?? 'auto', since });
    if (!scoped) this.#since = null; // trusted again only once this scan is stored
    const result = await transport.run(script, { sudo: device.sudo, timeoutMs: this.#deps.timeoutMs ?? 120_000 });
    traffic.bytes += script.bytes.length + result.stdout.length + result.stderr.length;
    traffic.commands += 1;
    const listing = parseListing(result.stdout);
    const entries = listing.entries.filter((e) => watchSet.match(e.path) !== null);

    const allTracked = await store.listTrackedFiles(device.name);
    const inScope = (path: RemotePath) => roots.some((root) => isUnder(path, root));
    const tracked = new Map(allTracked.filter((t) => inScope(t.path)).map((t) => [t.path, t]));

    const listed = new Set(entries.map((e) => e.path));
    const vanished = [...tracked.values()].filter((t) => !t.deleted && !listed.has(t.path));
    const moves = pairScanMoves({ listed: entries, tracked: allTracked, vanished });
    const movedAway = new Set([...moves.values()].map((from) => from.path));
    // a paired file is recorded as a move only once its bytes confirm it; otherwise as a change plus the delete
    const toRequests = (path: RemotePath, observed: ObservedFile): CaptureRequest[] => {
      const from = moves.get(path);
      if (from === undefined) return [{ path, kind: 'changed', detectedAt, observed }];
      if (confirmsMove(observed, from)) return [{ path, kind: 'moved', movedFrom: from.path, detectedAt, observed }];
      return [{ path: from.path, kind: 'deleted', detectedAt }, { path, kind: 'changed', detectedAt, observed }];
    };

    const requests: CaptureRequest[] = [];
    const toFetch: ListingEntry[] = [];
    for (const entry of entries) {
      const verdict = judge(entry, tracked.get(entry.path), listing.incremental, watchSet.maxFileBytes(entry.path), (p) => watchSet.match(p) !== null);
      if (verdict.need === 'fetch') toFetch.push(entry);
      else if (verdict.need === 'capture') requests.push(...toRequests(entry.path, verdict.observed));
    }
    for (const t of vanished) {
      // not listed: gone (capture need not look again)
      if (!movedAway.has(t.path)) requests.push({ path: t.path, kind: 'deleted', detectedAt, observed: { kind: 'missing' } });
    }

    let stored = 0;
    const capture = async (batch: CaptureRequest[]) => {
      stored += (await this.#deps.capture.capture(batch, source, { initial: allTracked.length === 0 })).length;
    };
    const fetchBatch = async (batch: readonly ListingEntry[]): Promise<CaptureRequest[]> => {
      const fetchRequests = batch.map(({ path }) => ({ path, maxBytes: watchSet.maxFileBytes(path), root: rootOf(path, watchSet.roots()) ?? '/' }));
      const fetchScript = buildFetchScript(fetchRequests);
      const fetched = await transport.run(fetchScript, { sudo: device.sudo });
      traffic.bytes += fetchScript.bytes.length + fetched.stdout.length + fetched.stderr.length;
      traffic.commands += 1;
      // links to watched targets and files caught mid-change are read by capture itself (read through, read again)
      return parseFetch(fetched.stdout, fetchRequests).flatMap((f) =>
        f.status === 'link' || f.status === 'unstable' ? [{ path: f.path, kind: 'changed' as const, detectedAt }] : toRequests(f.path, observedFromFetch(f)),
      );
    };
    await capture(requests);
    // the next batch is fetched while the current one is stored: at most two batches of contents in memory
    const batches = fetchBatches(toFetch, Math.max(1, this.#deps.fetchBatch ?? 500));
    let fetching = batches[0] ? fetchBatch(batches[0]) : undefined;
    for (let i = 0; fetching; i++) {
      const fetched = await fetching;
      const next = batches[i + 1];
      fetching = next ? fetchBatch(next) : undefined;
      // a failed fetch surfaces when its batch is reached
      fetching?.catch(() => undefined);
      await capture(fetched);
    }
    if (!scoped) this.#since = listing.remoteTime;

    const summary: ScanResult = {
      listed: entries.length,
      changed: requests.length + toFetch.length,
      stored,
      durationMs: Math.round(performance.now() - started),
      bytesTransferred: traffic.bytes,
      remoteCommands: traffic.commands,
    };
    this.#deps.log?.debug({ device: device.name, source, incremental: listing.incremental, ...summary }, 'scan finished');
    return summary;
  }
}

/** Changes in the same second as the previous listing's start are hashed again: the clock has whole seconds. */
const SINCE_MARGIN_SEC = 2;

/** Listed bytes fetched in one request at most (a single larger file still gets a request of its own). */
const MAX_FETCH_BATCH_BYTES = 32 * 1024 * 1024;

/** Splits the files to fetch into requests of at most `size` files and MAX_FETCH_BATCH_BYTES listed bytes. */
function fetchBatches(entries: readonly ListingEntry[], size: number): ListingEntry[][] {
  const batches: ListingEntry[][] = [];
  let batch: ListingEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (batch.length > 0 && (batch.length >= size || bytes + entry.size > MAX_FETCH_BATCH_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += entry.size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Decides what a listed file needs; exported for tests. A link whose target
 * is watched is fetched (capture reads it through that target's name); any
 * other link is judged by its target alone and never read.
 */
export function judge(
  entry: ListingEntry,
  tracked: TrackedFileRecord | undefined,
  incremental: boolean,
  maxBytes: number,
  isWatched: (path: RemotePath) => boolean = () => false,
): Verdict {
  const live = tracked && !tracked.deleted ? tracked : undefined;
  const sameStat = live !== undefined && live.size === entry.size && live.mtimeMs === entry.mtimeMs && live.ino === entry.ino;
  const sameOwner = live !== undefined && live.mode === entry.mode && live.uid === entry.uid && live.gid === entry.gid;
  const stat = { path: entry.path, type: entry.type, size: entry.size, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtimeMs: entry.mtimeMs, ino: entry.ino } as const;
  if (entry.type === 'symlink' && entry.target !== null) {
    const resolved = resolveLinkTarget(entry.path, entry.target);
    if (resolved !== entry.path && isWatched(resolved)) return { need: 'fetch' };
    if (live && linkHash(entry.target) === live.contentHash && sameOwner && sameStat && live.syncStatus !== 'unreadable') return { need: 'nothing' };
    return { need: 'capture', observed: { kind: 'link', stat, target: entry.target } };
  }
  const hash = entry.hash ?? (incremental && sameStat ? (live?.contentHash ?? null) : null);

  if (hash === null) {
    // unknown bytes: unreadable (nothing to do if already known so) or changed without a hash
    if (live?.syncStatus === 'unreadable' && sameStat && sameOwner) return { need: 'nothing' };
    return { need: 'fetch' };
  }
  if (live && hash === live.contentHash) {
    if (sameOwner && sameStat && live.syncStatus !== 'unreadable') return { need: 'nothing' };
    return { need: 'capture', observed: { kind: 'hash-only', stat, hash } };
  }
  if (entry.size > maxBytes) return { need: 'capture', observed: { kind: 'hash-only', stat, hash } };
  return { need: 'fetch' };
}

/** True when the path is the directory or below it, comparing exact bytes. */
export function isUnder(path: RemotePath, dir: RemotePath): boolean {
  const p = remotePathToBytes(path);
  const d = remotePathToBytes(dir);
  if (d.length === 1 && d[0] === 0x2f) return p[0] === 0x2f;
  return p.length > d.length && p.subarray(0, d.length).equals(d) && p[d.length] === 0x2f;
}

/**
 * The parts of `dirs` inside the watched `roots`: a directory under a root
 * stays, a directory above roots becomes those roots, anything else is
 * dropped. Whatever a hostile name makes an event say, a scan never lists
 * more than the watched trees.
 */
export function clipToRoots(dirs: readonly RemotePath[], roots: readonly RemotePath[]): RemotePath[] {
  const clipped = dirs.flatMap((dir) => {
    if (roots.some((root) => root === dir || isUnder(dir, root))) return [dir];
    return roots.filter((root) => isUnder(root, dir));
  });
  return collapseRoots(clipped);
}
