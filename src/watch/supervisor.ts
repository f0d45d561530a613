/**
 * Keeps one device watched, whatever happens to the link. An explicit state
 * machine:
 *
 *   connecting ─▶ realtime | polling ─(failure)─▶ degraded ─(backoff)─▶ reconnecting ─▶ realtime | polling
 *                     ▲          │
 *                     └─(retry)──┘   after a fallback, not when polling is configured
 *
 * Every (re)start of a watch runs a reconcile scan before the mode is
 * announced, so whatever changed while nobody was looking is recorded
 * (source `rescan`). In realtime mode it runs right after "Watches
 * established" (events arriving meanwhile queue behind it): a scan before
 * the watch would leave a gap between its listing and the watch, and two
 * scans would double the start-up cost of a large fleet. In realtime mode a
 * periodic verification scan catches anything inotify missed; in polling
 * mode the device is polled every interval. Realtime falls back to polling
 * when inotifywait is missing, the host's inotify limits are exhausted, or
 * the stream fails repeatedly. A watch that `sudo -n` refuses degrades the
 * device at once, with sudo's verdict as the reason, and is tried again on
 * the reconnect backoff.
 *
 * A fallback is not for ever: the admin may raise fs.inotify.max_user_watches
 * or install inotify-tools. While a device polls for any reason other than
 * its configuration, realtime is retried (probe, then a watcher) every
 * retry interval, doubling after each failed retry up to a cap. Polling goes
 * on during the attempt, and stops only once the new watch is established;
 * the handover runs the reconcile scan like any other start, so a change
 * made between the last poll and the watch is still recorded.
 */
import type { CaptureRequest } from '../detect/capture.js';
import type { InotifyEvent } from '../detect/inotify-record.js';
import type { EventBus } from '../events/event-bus.js';
import type { WatchMode } from '../events/event-map.js';
import type { DeviceMode } from '../store/records.js';
import type { RemotePath } from '../transport/remote-path.js';
import { Backoff } from './backoff.js';
import type { WatchEnd } from './inotify.watcher.js';

export type SupervisorState = 'idle' | 'connecting' | 'realtime' | 'polling' | 'degraded' | 'reconnecting' | 'stopped';

/** What a realtime watcher reports to the supervisor. */
export interface WatcherHooks {
  readonly instanceId: string;
  readonly onRequests: (requests: CaptureRequest[]) => void;
  readonly onScanDirs: (dirs: RemotePath[], reason: string) => void;
  readonly onEvent: (event: InotifyEvent) => void;
}

/** A started-or-startable realtime watcher (InotifyWatcher). */
export interface RealtimeWatcher {
  /** Resolves once events flow; rejects with a WatchEnd (or a transport error). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** How it ended; never rejects. */
  readonly ended: Promise<WatchEnd>;
}

/** One connection to the device and the services bound to it. */
export interface DeviceSession {
  /** `user@host:port` or `local`. */
  readonly target: string;
  /** inotifywait's version on the host when the session opened; null when it is not installed. */
  readonly inotifywaitVersion: string | null;
  /**
   * Probes the host again (inotify-tools may have been installed since) and
   * returns inotifywait's version, null when absent; watchers created
   * afterwards use it. Rejects when the link is gone.
   */
  probeInotifywait(): Promise<string | null>;
  /** Lists and stores changed files (Scanner.scan); rejects when the link is gone. */
  scan(source: 'poll' | 'rescan', dirs?: readonly RemotePath[]): Promise<void>;
  /** Reads and stores the requested files (CaptureService.capture, source realtime). */
  capture(requests: CaptureRequest[]): Promise<void>;
  createWatcher(hooks: WatcherHooks): RealtimeWatcher;
  /** Closes the connection; idempotent. */
  close(): Promise<void>;
}

export interface SupervisorOptions {
  readonly device: string;
  /** `auto` chooses realtime when inotifywait is present; the others are forced. */
  readonly mode: DeviceMode;
  /** Opens a new session; rejects when the host cannot be reached. */
  readonly connect: () => Promise<DeviceSession>;
  readonly bus: EventBus;
  /** Polling interval. */
  readonly pollIntervalMs: number;
  /** Verification scan interval in realtime mode. Default 30 min. */
  readonly verifyIntervalMs?: number;
  /** Reconnect delays. Default: 1 s doubling to 60 s, full jitter. */
  readonly backoff?: Backoff;
  /** Stream failures within `failureWindowMs` that switch the device to polling. Default 3 within 60 s. */
  readonly failureLimit?: number;
  readonly failureWindowMs?: number;
  /**
   * Wait before retrying realtime after a fallback to polling; doubles after
   * each failed retry up to `realtimeRetryCapMs`, back to this after realtime
   * is restored. Default 10 min.
   */
  readonly realtimeRetryMs?: number;
  /** Longest wait between realtime retries. Default 1 h, never under `realtimeRetryMs`. */
  readonly realtimeRetryCapMs?: number;
  /**
   * Randomness in [0, 1) that shortens each retry wait by up to a quarter,
   * so devices that fell back together do not all retry at the same moment.
   * Default Math.random.
   */
  readonly retryJitter?: () => number;
  /** Unique watcher instance ids (part of the remote marker). Default: time + counter. */
  readonly newInstanceId?: () => string;
  /** Called with errors that do not change the state (a failed capture or dir scan). */
  readonly onError?: (error: unknown) => void;
  /**
   * How long stop() lets the watcher end and work in flight finish before
   * it closes the connection under them, and then how long it waits for
   * that work to give up. Default 1.5 s.
   */
  readonly stopGraceMs?: number;
}

/** How long a scan waits for earlier work before it runs anyway. */
const STALE_WORK_GRACE_MS = 5_000;

/**
 * Stopping waits this long for the watcher and the capture in flight. A
 * slow or dead link must not hold a shutdown: past it the connection is
 * closed, which also ends the remote watcher (its wrapper dies with the
 * channel's stdin), and transport calls still pending fail.
 */
export const DEFAULT_STOP_GRACE_MS = 1_500;

export const DEFAULT_VERIFY_INTERVAL_MS = 30 * 60_000;
export const DEFAULT_REALTIME_RETRY_MS = 10 * 60_000;
export const DEFAULT_REALTIME_RETRY_CAP_MS = 60 * 60_000;
/** The share of a realtime retry wait that jitter may take off. */
const RETRY_SPREAD = 0.25;
export const MIN_POLL_INTERVAL_SEC = 5;

/** The device's poll interval: its own override, else the shortest of its profiles; never under 5 s. */
export function pollIntervalMs(device: { pollIntervalSec: number | null }, profiles: readonly { pollIntervalSec: number }[]): number {
  const seconds = device.pollIntervalSec ?? Math.min(...profiles.map((p) => p.pollIntervalSec), 300);
  return Math.max(MIN_POLL_INTERVAL_SEC, seconds) * 1_000;
}

/** Realtime or polling for a session, with the reason given in `watch.mode`. */
export function chooseMode(
  mode: DeviceMode,
  inotifywaitVersion: string | null,
  fallbackReason: string | null,
): { mode: 'realtime' | 'polling'; reason: string } {
  if (mode === 'polling') return { mode: 'polling', reason: 'polling forced by device configuration' };
  if (fallbackReason !== null) return { mode: 'polling', reason: fallbackReason };
  if (mode === 'auto' && inotifywaitVersion === null) return { mode: 'polling', reason: 'inotifywait not installed on host' };
  return { mode: 'realtime', reason: 'watches established' };
}

class Stopped extends Error {}

/** A watcher that reached "Watches established" during a retry, and the reason polling had. */
interface Restored {
  readonly watcher: RealtimeWatcher;
  readonly after: string;
}

/** A started watcher, or how it ended before events flowed. */
type Started = { readonly watcher: RealtimeWatcher } | { readonly end: WatchEnd };

/** A queued directory scan; `all` once it grew past MAX_QUEUED_SCAN_DIRS. */
interface WaitingDirScan {
  readonly session: DeviceSession;
  dirs: Set<RemotePath> | 'all';
}

/** Distinct directories one queued scan collects before it becomes a scan of every root. */
const MAX_QUEUED_SCAN_DIRS = 1_000;

export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #backoff: Backoff;
  #state: SupervisorState = 'idle';
  #session: DeviceSession | undefined;
  #watcher: RealtimeWatcher | undefined;
  #fallbackReason: string | null = null;
  #failures: number[] = [];
  #work: Promise<void> = Promise.resolve();
  /** The directory scan waiting in the work queue, which new directories join. */
  #waitingDirScan: WaitingDirScan | undefined;
  readonly #sleepers = new Set<() => void>();
  #loop: Promise<void> | undefined;
  #instances = 0;
  readonly #retryBaseMs: number;
  readonly #retryCapMs: number;
  #retryMs: number;

  constructor(options: SupervisorOptions) {
    this.#options = Object.freeze({ ...options });
    this.#backoff = options.backoff ?? new Backoff();
    this.#retryBaseMs = options.realtimeRetryMs ?? DEFAULT_REALTIME_RETRY_MS;
    this.#retryCapMs = Math.max(this.#retryBaseMs, options.realtimeRetryCapMs ?? DEFAULT_REALTIME_RETRY_CAP_MS);
    this.#retryMs = this.#retryBaseMs;
  }

  get state(): SupervisorState {
    return this.#state;
  }

  /** Starts supervising in the background. */
  start(): void {
    if (this.#loop) return;
    this.#loop = this.#run();
  }

  /**
   * Stops the watcher and polling, lets work in flight finish, closes the
   * session. Work queued but not started is dropped (the next start's
   * reconcile scan covers it). Bounded: what has not ended within the stop
   * grace is cut off by closing the connection, and given one more grace to
   * fail; a capture cut off that way stores nothing, as its reads fail before
   * its single store transaction.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    for (const wake of this.#sleepers) wake();
    const graceMs = this.#options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    const ended = Promise.all([this.#watcher?.stop(), this.#loop, this.#work.catch(() => {})]);
    const inTime = await settlesWithin(ended, graceMs);
    await this.#closeSession();
    if (!inTime && !(await settlesWithin(ended, graceMs))) {
      this.#options.onError?.(new Error(`work on ${this.#options.device} still running ${2 * graceMs} ms after stop; abandoned`));
    }
  }

  async #run(): Promise<void> {
    let connected = false;
    while (!this.#stopped()) {
      try {
        this.#state = connected ? 'reconnecting' : 'connecting';
        this.#session = await this.#options.connect();
        // stop() may have given up on this connect and closed what it had: close this one too
        if (this.#stopped()) return await this.#closeSession();
        connected = true;
        this.#options.bus.publish('device.connected', this.#options.device, { target: this.#session.target });
        await this.#watch(this.#session);
        return;
      } catch (error) {
        if (this.#stopped()) return;
        await this.#degrade(describe(error), connected);
      }
    }
  }

  /** Watches until stopped (returns) or until the session must be replaced (throws). */
  async #watch(session: DeviceSession): Promise<void> {
    let restored: Restored | undefined;
    for (;;) {
      let end: WatchEnd;
      if (restored) {
        end = await this.#realtime(session, restored.watcher, `realtime restored after ${restored.after}`, false);
        restored = undefined;
      } else {
        const choice = chooseMode(this.#options.mode, session.inotifywaitVersion, this.#fallbackReason);
        if (choice.mode === 'polling') {
          restored = await this.#poll(session, choice.reason);
          continue;
        }
        const started = await this.#startWatcher(session);
        end = 'end' in started ? started.end : await this.#realtime(session, started.watcher, 'watches established', true);
      }
      if (end.kind === 'stopped') return;
      if (end.kind === 'fallback') this.#fallbackReason = end.reason;
      if (end.kind === 'failed') this.#noteFailure(end.reason);
      // Polling would run through the same sudo: degrade with sudo's verdict and
      // reconnect on the backoff, so a fixed sudoers entry is picked up.
      if (end.kind === 'sudo-refused') throw new Error(end.reason);
    }
  }

  /** Starts a watcher on the session; resolves once events flow, or with how it ended before. */
  async #startWatcher(session: DeviceSession): Promise<Started> {
    const watcher = session.createWatcher({
      instanceId: this.#options.newInstanceId?.() ?? `${Date.now().toString(36)}-${++this.#instances}`,
      onRequests: (requests) => this.#serial(() => (this.#isCurrent(session) ? session.capture(requests) : undefined)),
      onScanDirs: (dirs) => this.#queueDirScan(session, dirs),
      onEvent: (event) =>
        this.#options.bus.publish('file.event', this.#options.device, {
          path: event.path,
          events: [...event.events],
          isDir: event.isDir,
        }),
    });
    this.#watcher = watcher;
    try {
      await watcher.start();
      return { watcher };
    } catch (end) {
      if (this.#watcher === watcher) this.#watcher = undefined;
      if (isWatchEnd(end)) return { end };
      throw end;
    }
  }

  /** Reconciles, announces realtime and runs verification scans until the watcher ends. */
  async #realtime(session: DeviceSession, watcher: RealtimeWatcher, reason: string, sessionStart: boolean): Promise<WatchEnd> {
    let verify: ReturnType<typeof setInterval> | undefined;
    try {
      this.#throwIfStopped();
      // The reconcile scan runs once the watches exist, so no change can fall between the two.
      await this.#scan(session, 'rescan', sessionStart);
      this.#backoff.reset();
      this.#fallbackReason = null;
      this.#retryMs = this.#retryBaseMs;
      this.#setMode('realtime', reason);
      verify = setInterval(
        () => this.#serial(() => session.scan('rescan')),
        this.#options.verifyIntervalMs ?? DEFAULT_VERIFY_INTERVAL_MS,
      );
      return await watcher.ended;
    } catch (error) {
      await watcher.stop();
      throw error;
    } finally {
      clearInterval(verify);
      if (this.#watcher === watcher) this.#watcher = undefined;
    }
  }

  /**
   * Polls until stopped or the link fails (throws). Unless the device is
   * configured to poll, realtime is retried meanwhile: resolves with the
   * watcher once a retry established it, after polling has stopped.
   */
  async #poll(session: DeviceSession, reason: string): Promise<Restored> {
    await this.#scan(session, 'rescan', true);
    this.#backoff.reset();
    this.#setMode('polling', reason);
    const handover = new AbortController();
    const polling = this.#pollLoop(session, handover.signal);
    if (this.#options.mode === 'polling') return await polling;
    const retrying = this.#retryRealtime(session, reason, handover.signal);
    try {
      return await Promise.race([polling, retrying]);
    } finally {
      handover.abort();
      // A poll scan in flight at the handover may still fail with the link; the watcher's end reports that.
      polling.catch(() => {});
      retrying.catch(() => {});
    }
  }

  async #pollLoop(session: DeviceSession, signal: AbortSignal): Promise<never> {
    for (;;) {
      await this.#sleep(this.#options.pollIntervalMs, signal);
      signal.throwIfAborted();
      await this.#scan(session, 'poll');
    }
  }

  /**
   * Tries realtime again every retry interval, doubling the interval after
   * each failure up to the cap. A failure with a new reason is announced
   * (still polling); the same reason again is not.
   */
  async #retryRealtime(session: DeviceSession, reason: string, signal: AbortSignal): Promise<Restored> {
    let current = reason;
    for (;;) {
      await this.#sleep(this.#retryMs * (1 - RETRY_SPREAD * (this.#options.retryJitter ?? Math.random)()), signal);
      signal.throwIfAborted();
      const attempt = await this.#attemptRealtime(session, signal);
      this.#throwIfStopped();
      if ('watcher' in attempt) {
        if (!signal.aborted) return { watcher: attempt.watcher, after: current };
        await attempt.watcher.stop();
        if (this.#watcher === attempt.watcher) this.#watcher = undefined;
      }
      signal.throwIfAborted();
      this.#retryMs = Math.min(this.#retryCapMs, this.#retryMs * 2);
      if ('reason' in attempt && attempt.reason !== current) {
        current = attempt.reason;
        this.#setMode('polling', current);
      }
    }
  }

  /**
   * One retry: probe for inotifywait, then start a watcher. Resolves with
   * the established watcher, the reason realtime still fails, or nothing
   * when the link failed (the polling scans notice that and reconnect).
   */
  async #attemptRealtime(
    session: DeviceSession,
    signal: AbortSignal,
  ): Promise<{ readonly watcher: RealtimeWatcher } | { readonly reason: string } | Record<string, never>> {
    try {
      const version = await session.probeInotifywait();
      const choice = chooseMode(this.#options.mode, version, null);
      if (choice.mode === 'polling') return { reason: choice.reason };
      // the loop that owns the handover gave up (link gone, stopped): let the attempt end with it
      const abandon = () => void this.#watcher?.stop();
      signal.addEventListener('abort', abandon, { once: true });
      const started = await this.#startWatcher(session).finally(() => signal.removeEventListener('abort', abandon));
      if ('watcher' in started) return started;
      if (started.end.kind === 'stopped') return {};
      if (started.end.kind === 'fallback') this.#fallbackReason = started.end.reason;
      return { reason: started.end.reason };
    } catch (error) {
      this.#options.onError?.(error);
      return {};
    }
  }

  /**
   * Reconcile and poll scans run in line with other work on the session; a
   * failure means the link is gone. Work left by a replaced session (a read
   * on a connection that died under it) may never finish: a session's first
   * scan waits for it only so long, so a reconnect always gets its reconcile.
   */
  async #scan(session: DeviceSession, source: 'poll' | 'rescan', sessionStart = false): Promise<void> {
    const prior = this.#work;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = sessionStart
      ? Promise.race([prior, new Promise<void>((resolve) => (timer = setTimeout(resolve, STALE_WORK_GRACE_MS)))]).finally(() => clearTimeout(timer))
      : prior;
    const done = waited.then(() => session.scan(source));
    this.#work = done.catch(() => {});
    await done;
    this.#throwIfStopped();
  }

  /**
   * Work queued by a session that has since been replaced is dropped: the
   * new session's reconcile scan, queued after it, covers the same files
   * with fresher reads.
   */
  #isCurrent(session: DeviceSession): boolean {
    return this.#session === session && !this.#stopped();
  }

  /**
   * Queues a scan of directories, coalesced: while one is waiting in the
   * queue, more directories join it instead of queueing scans of their own,
   * so a user creating thousands of directories costs one scan of them, not
   * thousands. Past MAX_QUEUED_SCAN_DIRS distinct directories it becomes a
   * scan of every watched root.
   */
  #queueDirScan(session: DeviceSession, dirs: readonly RemotePath[]): void {
    const waiting = this.#waitingDirScan;
    if (waiting?.session === session) {
      if (waiting.dirs !== 'all') for (const dir of dirs) waiting.dirs.add(dir);
      if (waiting.dirs !== 'all' && waiting.dirs.size > MAX_QUEUED_SCAN_DIRS) waiting.dirs = 'all';
      return;
    }
    const queued: WaitingDirScan = { session, dirs: new Set(dirs) };
    this.#waitingDirScan = queued;
    this.#serial(() => {
      if (this.#waitingDirScan === queued) this.#waitingDirScan = undefined;
      if (!this.#isCurrent(session)) return undefined;
      return session.scan('rescan', queued.dirs === 'all' ? undefined : [...queued.dirs]);
    });
  }

  /** Runs capture and directory-scan work one at a time, in arrival order. */
  #serial(job: () => Promise<void> | undefined): void {
    this.#work = this.#work.then(job).catch((error: unknown) => this.#options.onError?.(error));
  }

  #noteFailure(reason: string): void {
    const now = Date.now();
    const windowMs = this.#options.failureWindowMs ?? 60_000;
    this.#failures = [...this.#failures.filter((t) => now - t < windowMs), now];
    if (this.#failures.length >= (this.#options.failureLimit ?? 3)) {
      this.#fallbackReason = `watch stream failed ${this.#failures.length} times within ${windowMs / 1_000} s (last: ${reason})`;
    } else {
      throw new Error(reason);
    }
  }

  async #degrade(reason: string, wasConnected: boolean): Promise<void> {
    await this.#closeSession();
    if (this.#stopped()) return;
    if (wasConnected) this.#options.bus.publish('device.disconnected', this.#options.device, { reason });
    this.#state = 'degraded';
    this.#options.bus.publish('watch.mode', this.#options.device, { mode: 'degraded', reason });
    await this.#sleep(this.#backoff.next()).catch(() => {});
  }

  async #closeSession(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    await session?.close().catch(() => {});
  }

  #setMode(mode: Exclude<WatchMode, 'degraded'>, reason: string): void {
    this.#state = mode;
    this.#options.bus.publish('watch.mode', this.#options.device, { mode, reason });
  }

  /** Waits, or less when `signal` aborts; rejects with Stopped as soon as stop() is called. */
  #sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#stopped()) return reject(new Stopped());
      const finish = (outcome: () => void) => () => {
        clearTimeout(timer);
        this.#sleepers.delete(wake);
        signal?.removeEventListener('abort', done);
        outcome();
      };
      const done = finish(resolve);
      const wake = finish(() => reject(new Stopped()));
      const timer = setTimeout(done, ms);
      this.#sleepers.add(wake);
      signal?.addEventListener('abort', done, { once: true });
      if (signal?.aborted) done();
    });
  }

  #stopped(): boolean {
    return this.#state === 'stopped';
  }

  #throwIfStopped(): void {
    if (this.#stopped()) throw new Stopped();
  }
}

/** True when `work` settles within `ms`; false when the time ran out first. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const isWatchEnd = (value: unknown): value is WatchEnd =>
  typeof value === 'object' && value !== null && 'kind' in value && typeof (value as { kind: unknown }).kind === 'string';

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
