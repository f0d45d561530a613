/**
 * Groups one device's changes into change sets: changes separated by less
 * than a quiet gap belong together. The set is opened (and its id handed
 * out) on the first change, so every `config.changed` can carry the id at
 * once; the title is decided when the window closes, from all its paths.
 */
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logging.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { displayPath, type RemotePath, remoteBasename, remoteDirname } from '../transport/remote-path.js';

export const DEFAULT_QUIET_GAP_MS = 2_000;
export const MAX_QUIET_GAP_MS = 30_000;

/** The timer functions the correlator uses; injectable for tests. */
export interface CorrelatorClock {
  now(): Date;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: CorrelatorClock = {
  now: () => new Date(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface CorrelatorOptions {
  readonly device: string;
  readonly store: Pick<SnapshotStore, 'openChangeSet' | 'closeChangeSet'>;
  readonly bus: EventBus;
  /** Quiet time that closes a change set. Default 2 s, clamped to 30 s. */
  readonly quietGapMs?: number;
  readonly clock?: CorrelatorClock;
  readonly log?: Logger;
}

interface Window {
  readonly id: Promise<string>;
  readonly paths: Set<RemotePath>;
  git: boolean;
  timer: unknown;
}

export class Correlator {
  readonly #options: Readonly<CorrelatorOptions>;
  readonly #clock: CorrelatorClock;
  readonly #gapMs: number;
  #window: Window | undefined;
  /** Git activity noticed while no window was open still colours the next one. */
  #gitNotedAt = Number.NEGATIVE_INFINITY;
  readonly #closing = new Set<Promise<void>>();
  /** Captures in progress: a window does not close under them. */
  #busy = 0;

  constructor(options: CorrelatorOptions) {
    this.#options = Object.freeze({ ...options });
    this.#clock = options.clock ?? systemClock;
    this.#gapMs = Math.min(Math.max(options.quietGapMs ?? DEFAULT_QUIET_GAP_MS, 0), MAX_QUIET_GAP_MS);
  }

  /**
   * The id of the change set a change of `path` belongs to, opening one if
   * no window is open, and extending the window. Rejects when the store
   * cannot open a change set.
   */
  changeSetFor(path: RemotePath): Promise<string> {
    const window = this.#window ?? this.#open(path);
    window.paths.add(path);
    this.#rearm(window);
    return window.id;
  }

  /**
   * Reports activity under a `.git/` directory (even excluded paths): the
   * current or next window is titled as a repository update.
   */
  noteGitActivity(): void {
    if (this.#window) {
      this.#window.git = true;
      this.#rearm(this.#window);
    } else {
      this.#gitNotedAt = this.#clock.now().getTime();
    }
  }

  /**
   * Runs capture work during which the open window may not close (a long
   * batch is not a quiet gap); the quiet gap restarts when it ends.
   */
  async whileBusy<T>(work: () => Promise<T>): Promise<T> {
    this.#busy++;
    try {
      return await work();
    } finally {
      this.#busy--;
      if (this.#window) this.#rearm(this.#window);
    }
  }

  /** Closes the open window now (shutdown) and waits for every pending close. */
  async flush(): Promise<void> {
    if (this.#window) this.#close(this.#window);
    await Promise.all([...this.#closing]);
  }

  #open(firstPath: RemotePath): Window {
    const now = this.#clock.now();
    const id = this.#options.store.openChangeSet(this.#options.device, displayPath(remoteBasename(firstPath)), now.toISOString()).then((set) => set.id);
    const window: Window = { id, paths: new Set(), git: now.getTime() - this.#gitNotedAt < this.#gapMs, timer: undefined };
    this.#window = window;
    // a failed open is reported to the caller of changeSetFor; the window just ends
    id.catch(() => {
      if (this.#window === window) this.#window = undefined;
    });
    return window;
  }

  #rearm(window: Window): void {
    if (window.timer !== undefined) this.#clock.clearTimeout(window.timer);
    window.timer = this.#clock.setTimeout(() => (this.#busy > 0 ? this.#rearm(window) : this.#close(window)), this.#gapMs);
  }

  #close(window: Window): void {
    if (window.timer !== undefined) this.#clock.clearTimeout(window.timer);
    if (this.#window === window) this.#window = undefined;
    const done = this.#finish(window).finally(() => this.#closing.delete(done));
    this.#closing.add(done);
  }

  async #finish(window: Window): Promise<void> {
    const { device, store, bus, log } = this.#options;
    try {
      const id = await window.id;
      const paths = [...window.paths];
      const title = changeSetTitle(paths, window.git);
      await store.closeChangeSet(id, title, paths.length, this.#clock.now().toISOString());
      bus.publish('config.changeset', device, { changeSetId: id, title, count: paths.length, paths });
    } catch (error) {
      log?.warn({ err: error, device }, 'could not close change set');
    }
  }
}

const PROXY_CONF = /(^|\/)proxy-confs\/|\.(subdomain|subfolder)\.conf$/;

/** The human title of a change set (pure; exported for tests and imports). */
export function changeSetTitle(paths: readonly RemotePath[], gitActivity: boolean): string {
  const n = paths.length;
  if (gitActivity) return `Repository updated (${n} ${n === 1 ? 'file' : 'files'})`;
  if (paths.filter((p) => PROXY_CONF.test(displayPath(p))).length > 1) return `Proxy config bulk update (${n} files)`;
  if (n === 1) return displayPath(remoteBasename(paths[0] as RemotePath));
  return `${n} files changed in ${displayPath(commonDirectory(paths))}`;
}

function commonDirectory(paths: readonly RemotePath[]): RemotePath {
  const dirs = paths.map((p) => displayPath(remoteDirname(p)).split('/'));
  const first = dirs[0] ?? [''];
  let length = first.length;
  for (const parts of dirs) {
    let i = 0;
    while (i < length && parts[i] === first[i]) i++;
    length = i;
  }
  const common = first.slice(0, length).join('/');
  return common === '' ? '/' : common;
}
