/**
 * One `inotifywait -m -r` per device, streamed over the transport. Parses
 * its records, feeds file events to the debouncer and asks for directory
 * scans where inotify alone cannot be trusted:
 *
 * - a new sub-directory (inotify misses what happens in it before its watch
 *   exists) is scanned at once;
 * - a burst (more than `burstEvents` events within a second, or more than
 *   `burstPaths` files waiting in the debouncer, e.g. a `git checkout`)
 *   switches to a bulk path: file events are no longer debounced into
 *   per-file reads; the directories they touch are scanned once, when the
 *   burst settles. One listing and batched fetches cost far less than
 *   thousands of single reads, and the scan also covers whatever a silently
 *   overflowed inotify queue lost (inotifywait never reports an overflow);
 * - output that cannot be parsed exactly names a directory to scan.
 *
 * The remote command line carries a per-device marker (as the unused
 * `--timefmt` value, or with `--csv` an `--exclude` pattern no absolute
 * path matches, so it sits in inotifywait's own argv); before starting,
 * any earlier watcher of the same device still running on the host (a
 * session sshd kept alive after a partition) is killed by that marker.
 */
import type { CaptureRequest } from '../detect/capture.js';
import { Debouncer, type DebounceWindows, isGitPath } from '../detect/debouncer.js';
import {
  createInotifyParser,
  type InotifyEvent,
  type InotifyFormat,
  type InotifyRecord,
  inotifyFormatArgs,
  WATCHED_EVENTS,
} from '../detect/inotify-record.js';
import { argvToScript, raw, sh } from '../transport/quote.js';
import { type RemotePath, remoteDirname, remotePathToBytes } from '../transport/remote-path.js';
import { isSudoRefusal, sudoRefusalInLine, sudoRefused, sudoRefusedExit } from '../transport/sudo.js';
import type { RecordStream, Transport } from '../transport/transport.js';

/** The part of a WatchSet the watcher uses. */
export interface WatchedTree {
  /** The profile match of a path, or null when it is not tracked. */
  match(path: RemotePath): object | null;
  /** The deepest existing directory of every watched glob. */
  rootsExisting(transport: Pick<Transport, 'run'>): Promise<RemotePath[]>;
}

/** Why a watcher ended. `fallback` means realtime cannot work here: poll instead. */
export type WatchEnd =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'fallback'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string }
  /** A watched root itself was deleted or moved: start over with the new deepest existing roots. */
  | { readonly kind: 'restart'; readonly reason: string }
  /**
   * `sudo -n` refused to run the watch (no NOPASSWD entry for the login
   * user). Not a stream failure: trying again at once, or polling through
   * the same sudo, cannot help until the host's sudoers changes.
   */
  | { readonly kind: 'sudo-refused'; readonly reason: string };

export interface InotifyWatcherOptions {
  readonly device: string;
  readonly transport: Transport;
  readonly tree: WatchedTree;
  /** Output layout for the host's inotifywait version (inotifyFormatFor). */
  readonly format: InotifyFormat;
  /** Unique per start; part of the remote marker. */
  readonly instanceId: string;
  readonly sudo?: boolean;
  /** The program to run, for hosts where inotifywait is not on the PATH (e.g. /opt/bin/inotifywait). Default `inotifywait`. */
  readonly program?: string;
  /** Capture requests whose quiet window passed. */
  readonly onRequests: (requests: CaptureRequest[]) => void;
  /** Directories to scan now (new directory, burst, unparsable output). */
  readonly onScanDirs: (dirs: RemotePath[], reason: string) => void;
  /** Every parsed event on a watched file or any directory (for `file.event`). */
  readonly onEvent?: (event: InotifyEvent) => void;
  /** Activity under a `.git/` directory. */
  readonly onGitActivity?: () => void;
  /** Events within one second that start a burst. Default 200. */
  readonly burstEvents?: number;
  /** Files waiting in the debouncer that start a burst. Default 200. */
  readonly burstPaths?: number;
  /** Quiet time that ends a burst. Default 500 ms. */
  readonly burstSettleMs?: number;
  /**
   * A burst started. Until `settled` resolves no capture requests are made:
   * the directories the burst touches are handed to `onScanDirs` once it
   * settles, just before `settled` resolves. Also resolves when the watcher
   * ends mid-burst (the next start's reconcile scan covers those directories).
   */
  readonly onBurst?: (settled: Promise<void>) => void;
  readonly debounce?: Partial<DebounceWindows>;
}

const LIMIT_ERRORS = /upper limit on inotify (watches|instances)|No space left on device/i;
const MISSING = /inotifywait: (command )?not found|inotifywait: No such file/i;
const ESTABLISHED = 'Watches established';

/**
 * The `pkill -f` pattern (an extended regex) of a device's watchers: the
 * device name and instance id are matched literally (a `.` in `web.1` must
 * not also match `webx1`'s watcher), and `[c]` keeps a pkill/pgrep from
 * matching its own command line.
 */
export const markerPattern = (device: string, instanceId = '') => `[c]onfwatch-watch:${escapeRegex(device)}:${escapeRegex(instanceId)}`;

const escapeRegex = (text: string) => text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');

/** Kills the device's watchers on the host; all of them, or one instance. */
export async function killRemoteWatchers(
  transport: Pick<Transport, 'run'>,
  device: string,
  options: { instanceId?: string; sudo?: boolean } = {},
): Promise<void> {
  await transport.run(sh`pkill -f ${markerPattern(device, options.instanceId)} ${raw('2>/dev/null; true')}`, {
    sudo: options.sudo,
    timeoutMs: 10_000,
  });
}

export class InotifyWatcher {
  readonly #options: InotifyWatcherOptions;
  readonly #debouncer: Debouncer;
  #stream: RecordStream | undefined;
  #stopping = false;
  #fallbackReason: string | undefined;
  /** sudo's reason, from the stream's tagged stderr line. */
  #sudoRefusal: string | undefined;
  #roots: readonly RemotePath[] = [];
  readonly #established = deferred<void>();
  readonly #ended = deferred<WatchEnd>();
  // event rate of the current one-second window
  #windowStart = 0;
  #windowCount = 0;
  #burst: Burst | undefined;

  constructor(options: InotifyWatcherOptions) {
    this.#options = Object.freeze({ ...options });
    this.#debouncer = new Debouncer({
      match: (p) => options.tree.match(p) !== null,
      onBatch: options.onRequests,
      onGitActivity: options.onGitActivity,
      windows: options.debounce,
    });
    // Whoever awaits `ended` also learns about start failures; avoid unhandled rejections meanwhile.
    this.#established.promise.catch(() => {});
  }

  /** Resolves with how the watcher ended (never rejects). */
  get ended(): Promise<WatchEnd> {
    return this.#ended.promise;
  }

  /**
   * Kills stale predecessors, starts inotifywait on the deepest existing
   * roots, and resolves once it reports "Watches established". Rejects with
   * the WatchEnd if it ends before that.
   */
  async start(): Promise<void> {
    const { transport, device, sudo } = this.#options;
    let roots: RemotePath[];
    try {
      await killRemoteWatchers(transport, device, { sudo });
      // A glob whose directories are all missing would resolve to `/`: never watch a whole
      // filesystem recursively; the periodic scans notice the directory once it appears.
      roots = (await this.#options.tree.rootsExisting(transport)).filter((root) => root !== '/');
    } catch (error) {
      if (!isSudoRefusal(error)) throw error;
      this.#end({ kind: 'sudo-refused', reason: error.message });
      throw await this.ended;
    }
    this.#roots = roots;
    // stopped while preparing: starting the remote process now would leave it to the connection's close
    if (this.#stopping) throw await this.ended;
    if (roots.length === 0) {
      this.#end({ kind: 'fallback', reason: 'no watched directory exists on the host' });
      throw await this.ended;
    }
    const stream = transport.stream(this.#command(roots), {
      separator: this.#options.format.separator,
      sudo,
      onStderr: (line) => this.#onStderr(line),
    });
    this.#stream = stream;
    void this.#consume(stream);
    await Promise.race([this.#established.promise, this.ended.then((end) => Promise.reject(end))]);
  }

  /**
   * Stops the remote process and drops pending events. Idempotent. The
   * wrapper around inotifywait kills it and then reports its own exit; only
   * when no exit status came back (the channel had to be closed) is the
   * marker used once more, while the link still works, to make sure no
   * inotifywait of this instance survives on the host. Skipping that second
   * round trip when the exit was reported keeps stopping a large fleet short.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#abandonBurst();
    this.#debouncer.dispose();
    const { transport, device, instanceId, sudo } = this.#options;
    const stream = this.#stream;
    if (stream) {
      await stream.stop();
      const code = await stream.exited.catch(() => null);
      if (code === null) await killRemoteWatchers(transport, device, { instanceId, sudo }).catch(() => {});
    }
    this.#end({ kind: 'stopped' });
  }

  #command(roots: readonly RemotePath[]) {
    const events = WATCHED_EVENTS.flatMap((e) => ['-e', e]);
    const marker = `confwatch-watch:${this.#options.device}:${this.#options.instanceId}`;
    return argvToScript([
      this.#options.program ?? 'inotifywait',
      '-m',
      '-r',
      ...events,
      // inotifywait takes --timefmt only with --format, which --csv excludes: there the marker is a
      // --exclude pattern no absolute path can match
      ...(this.#options.format.separator === 'nul' ? ['--timefmt', marker] : ['--exclude', `^${marker}$`]),
      ...inotifyFormatArgs(this.#options.format),
      '--',
      ...roots.map((r) => remotePathToBytes(r)),
    ]);
  }

  #onStderr(line: string): void {
    const refusal = sudoRefusalInLine(line);
    if (refusal !== null) this.#sudoRefusal = refusal;
    else if (line.includes(ESTABLISHED)) this.#established.resolve();
    else if (LIMIT_ERRORS.test(line)) this.#fallbackReason = `inotify limit reached: ${line.trim()}`;
    else if (MISSING.test(line)) this.#fallbackReason = 'inotifywait not installed on host';
  }

  async #consume(stream: RecordStream): Promise<void> {
    const parser = createInotifyParser(this.#options.format);
    try {
      for await (const record of stream) {
        for (const parsed of parser.push(record)) this.#onRecord(parsed);
      }
      const code = await stream.exited;
      this.#end(this.#endAfterExit(code));
    } catch (error) {
      this.#end(this.#fallbackEnd() ?? { kind: 'failed', reason: `watch stream failed: ${describe(error)}` });
    }
  }

  #endAfterExit(code: number | null): WatchEnd {
    const fallback = this.#fallbackEnd();
    if (fallback) return fallback;
    if (sudoRefusedExit(code) && this.#sudoRefusal !== undefined) {
      return { kind: 'sudo-refused', reason: sudoRefused(this.#options.transport.info.target, this.#sudoRefusal).message };
    }
    if (code === 127) return { kind: 'fallback', reason: 'inotifywait not installed on host' };
    return { kind: 'failed', reason: `inotifywait exited with ${code === null ? 'a signal' : `code ${code}`}` };
  }

  #fallbackEnd(): WatchEnd | undefined {
    if (this.#stopping) return { kind: 'stopped' };
    return this.#fallbackReason ? { kind: 'fallback', reason: this.#fallbackReason } : undefined;
  }

  #onRecord(record: InotifyRecord): void {
    if (this.#stopping) return;
    if (record.kind === 'rescan') {
      this.#options.onScanDirs([record.dir], record.reason);
      return;
    }
    const relevant = record.isDir || this.#options.tree.match(record.path) !== null;
    if (relevant) this.#options.onEvent?.(record);
    if (!record.isDir && record.events.some((e) => e === 'delete_self' || e === 'move_self')) {
      this.#onSelfEvent(record);
      return;
    }
    if (!this.#burst && this.#rateExceeded()) this.#startBurst();
    if (this.#burst) {
      this.#onBurstEvent(this.#burst, record, relevant);
    } else if (record.isDir) {
      this.#onDirectoryEvent(record);
    } else {
      this.#debouncer.push(record);
      if (this.#debouncer.pendingCount > (this.#options.burstPaths ?? 200)) this.#startBurst();
    }
  }

  #onDirectoryEvent(event: InotifyEvent): void {
    // New directory: scan it (files may have landed before its watch existed).
    // Directory gone or moved away: scan it too, so the files under it become tombstones.
    if (event.events.some((e) => e === 'create' || e === 'moved_to' || e === 'moved_from' || e === 'delete')) {
      this.#options.onScanDirs([event.path], `directory ${event.events.join(',')}`);
    }
  }

  /** A root itself vanished: its watch is gone, so start over from the new deepest existing directory. */
  #onSelfEvent(event: InotifyEvent): void {
    if (!this.#roots.includes(event.path)) return;
    this.#end({ kind: 'restart', reason: `watched directory ${event.events.join(',')}: ${event.path}` });
    void this.#stream?.stop();
  }

  /** Counts the event into the current one-second window; true when the window holds a burst. */
  #rateExceeded(): boolean {
    const now = Date.now();
    if (now - this.#windowStart > 1_000) {
      this.#windowStart = now;
      this.#windowCount = 0;
    }
    return ++this.#windowCount > (this.#options.burstEvents ?? 200);
  }

  /** Takes over what the debouncer holds: those files are covered by the burst's directory scan. */
  #startBurst(): void {
    const burst: Burst = {
      dirs: new Set(this.#debouncer.drain().map((path) => remoteDirname(path))),
      git: false,
      settled: deferred<void>(),
      timer: undefined,
    };
    this.#burst = burst;
    this.#rearmBurst(burst);
    this.#options.onBurst?.(burst.settled.promise);
  }

  #onBurstEvent(burst: Burst, event: InotifyEvent, relevant: boolean): void {
    this.#rearmBurst(burst);
    if (isGitPath(event.path)) {
      if (!burst.git) this.#options.onGitActivity?.();
      burst.git = true;
      return;
    }
    // a directory event names the directory to scan (created: its files; removed: tombstones under it)
    if (relevant) burst.dirs.add(event.isDir ? event.path : event.dir);
  }

  #rearmBurst(burst: Burst): void {
    clearTimeout(burst.timer);
    burst.timer = setTimeout(() => this.#settleBurst(burst), this.#options.burstSettleMs ?? 500);
  }

  #settleBurst(burst: Burst): void {
    this.#burst = undefined;
    // again now: the change set the scan opens may start after the first notice has expired
    if (burst.git) this.#options.onGitActivity?.();
    if (burst.dirs.size > 0 && !this.#stopping) this.#options.onScanDirs([...burst.dirs], 'burst of events settled');
    burst.settled.resolve();
  }

  #abandonBurst(): void {
    clearTimeout(this.#burst?.timer);
    this.#burst?.settled.resolve();
    this.#burst = undefined;
  }

  #end(end: WatchEnd): void {
    this.#abandonBurst();
    // Whatever is still debouncing belongs to a dead stream; the reconcile scan of the next start covers it.
    this.#debouncer.dispose();
    this.#ended.resolve(end);
    this.#established.reject(end);
  }
}

/** A burst in progress: the directories to scan once it settles. */
interface Burst {
  readonly dirs: Set<RemotePath>;
  /** Git activity was reported for this burst already. */
  git: boolean;
  readonly settled: ReturnType<typeof deferred<void>>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
