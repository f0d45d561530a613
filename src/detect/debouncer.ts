/**
 * Turns a stream of inotify events into batches of capture requests, after a
 * per-path quiet window, so a file is read once its writer is done:
 *
 * - 20 ms after `close_write`, `moved_to`, `moved_from`, `delete`, `attrib`
 *   (long enough to fold an editor's write + chmod + rename burst);
 * - 500 ms after a bare `modify` or `create` (the writer still has the file open);
 * - never more than 2 s after the path's first event, so a file written
 *   continuously is still captured.
 *
 * The latest event decides whether the file exists. A `moved_from` paired with
 * a `moved_to` (same cookie, or adjacent when the format has no cookies) is a
 * move; `moved_from` alone (moved out of the watched tree) is a delete;
 * `moved_to` alone is a change. Pure apart from timers.
 */
import type { RemotePath } from '../transport/remote-path.js';
import type { CaptureRequest } from './capture.js';
import type { InotifyEvent, InotifyEventName } from './inotify-record.js';

export interface DebounceWindows {
  /** Quiet time after a finishing event (close_write, moved_to, …). Default 20 ms. */
  readonly settleMs: number;
  /** Quiet time after `modify`/`create`. Default 500 ms. */
  readonly writingMs: number;
  /** Longest a path waits after its first event. Default 2,000 ms. */
  readonly maxWaitMs: number;
}

export const DEFAULT_DEBOUNCE: DebounceWindows = Object.freeze({ settleMs: 20, writingMs: 500, maxWaitMs: 2_000 });

export interface DebouncerOptions {
  /** Whether a path is watched (WatchSet.match); other paths are ignored. */
  readonly match: (path: RemotePath) => boolean;
  /** Receives each batch of requests whose quiet window has passed. */
  readonly onBatch: (requests: CaptureRequest[]) => void;
  /** Called when an event under a `.git/` directory is seen (at most once per batch). */
  readonly onGitActivity?: () => void;
  readonly windows?: Partial<DebounceWindows>;
}

interface PendingPath {
  readonly firstAt: number;
  deadline: number;
  exists: boolean;
  movedFrom?: RemotePath;
  /** Cookie of this path's own unpaired `moved_from`, if that was its latest event. */
  outCookie?: number | null;
}

const WRITING: ReadonlySet<InotifyEventName> = new Set(['modify', 'create']);
const GONE: ReadonlySet<InotifyEventName> = new Set(['delete', 'moved_from', 'delete_self', 'move_self']);
const GIT_COMPONENT = /(^|\/)\.git(\/|$)/;

/** True for a path inside (or naming) a `.git` directory. */
export const isGitPath = (path: RemotePath): boolean => GIT_COMPONENT.test(path);

export class Debouncer {
  readonly #options: DebouncerOptions;
  readonly #windows: DebounceWindows;
  readonly #pending = new Map<RemotePath, PendingPath>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  /** The previous event pushed, for pairing moves when there are no cookies. */
  #previous: InotifyEvent | undefined;
  #gitNoted = false;

  constructor(options: DebouncerOptions) {
    this.#options = Object.freeze({ ...options });
    this.#windows = Object.freeze({ ...DEFAULT_DEBOUNCE, ...options.windows });
  }

  /** Number of paths waiting for their quiet window. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Feeds one parsed event (directory events are the watcher's business and are ignored). */
  push(event: InotifyEvent): void {
    const previous = this.#previous;
    this.#previous = event;
    if (event.isDir) return;
    if (isGitPath(event.path)) this.#noteGit();
    if (!this.#options.match(event.path)) return;

    const now = Date.now();
    const entry = this.#pending.get(event.path) ?? { firstAt: now, deadline: now, exists: true };
    this.#pending.set(event.path, entry);
    const last = event.events.at(-1) as InotifyEventName;
    entry.exists = !GONE.has(last);
    entry.outCookie = last === 'moved_from' ? event.cookie : undefined;
    if (last === 'moved_to') {
      entry.movedFrom = this.#pairedSource(event, previous);
    } else if (!entry.exists || last === 'create') {
      entry.movedFrom = undefined;
    }
    const quiet = event.events.every((e) => WRITING.has(e)) ? this.#windows.writingMs : this.#windows.settleMs;
    entry.deadline = Math.min(now + quiet, entry.firstAt + this.#windows.maxWaitMs);
    this.#schedule(entry.deadline);
  }

  /** Emits every pending path now (used on stop); returns what was emitted. */
  flush(): CaptureRequest[] {
    return this.#emit(Number.POSITIVE_INFINITY);
  }

  /**
   * Takes every pending path (and the source of every pending move) without
   * emitting it, for a caller that covers them another way (a directory
   * scan after a burst).
   */
  drain(): RemotePath[] {
    const paths = [...this.#pending].flatMap(([path, entry]) => (entry.movedFrom === undefined ? [path] : [path, entry.movedFrom]));
    this.dispose();
    return paths;
  }

  /** Drops pending paths and timers without emitting. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }

  /**
   * The path a `moved_to` came from: the pending `moved_from` with the same
   * cookie, or — without cookies — the event just before it. The source
   * stops being a request of its own (the move covers it).
   */
  #pairedSource(event: InotifyEvent, previous: InotifyEvent | undefined): RemotePath | undefined {
    for (const [path, entry] of this.#pending) {
      if (entry.outCookie === undefined || path === event.path) continue;
      const paired =
        event.cookie !== null
          ? entry.outCookie === event.cookie
          : previous?.path === path && previous.events.includes('moved_from');
      if (paired) {
        this.#pending.delete(path);
        return path;
      }
    }
    return undefined;
  }

  #noteGit(): void {
    if (this.#gitNoted) return;
    this.#gitNoted = true;
    this.#options.onGitActivity?.();
  }

  #schedule(at: number): void {
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(0, at - Date.now()));
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#emit(Date.now());
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.#pending.values()) next = Math.min(next, entry.deadline);
    if (next !== Number.POSITIVE_INFINITY) this.#schedule(next);
  }

  #emit(now: number): CaptureRequest[] {
    const batch: CaptureRequest[] = [];
    for (const [path, entry] of this.#pending) {
      if (entry.deadline > now) continue;
      this.#pending.delete(path);
      batch.push(toRequest(path, entry));
    }
    this.#gitNoted = false;
    // Moves first, so a path that was moved away and re-created is tombstoned before it is re-read.
    batch.sort((a, b) => Number(b.kind === 'moved') - Number(a.kind === 'moved'));
    if (batch.length > 0) this.#options.onBatch(batch);
    return batch;
  }
}

function toRequest(path: RemotePath, entry: PendingPath): CaptureRequest {
  const detectedAt = new Date(entry.firstAt).toISOString();
  if (!entry.exists) return { path, kind: 'deleted', detectedAt };
  if (entry.movedFrom !== undefined) return { path, kind: 'moved', movedFrom: entry.movedFrom, detectedAt };
  return { path, kind: 'changed', detectedAt };
}
