/**
 * Capture's read of a changed file started before capture asks for it.
 * The watcher hands it every event (`note`) and every burst
 * (`suspendUntil`); capture's requests get what was read attached
 * (`attach`), so reading a changed file stays within capture.
 */
import type { RemotePath } from '../transport/remote-path.js';
import type { FileStat, Transport } from '../transport/transport.js';
import type { CaptureRequest, CaptureScope, ObservedFile } from './capture.js';
import type { InotifyEvent } from './inotify-record.js';
import { dirsBelow, rootOf } from './symlink.js';

/** Batches up to this size are read over SFTP instead of with capture's fetch script. */
const READ_AHEAD_MAX_BATCH = 8;

/**
 * The realtime common case is one or two files. Reading a file over the
 * persistent SFTP channel, with its stat in parallel, costs a few
 * milliseconds where the batch fetch script costs tens, and starting that
 * read as soon as the writer closes the file hides it inside the debounce
 * window. A read is used only when no event for its path arrived after it
 * started, so it saw the final content. Anything unusual (missing,
 * unreadable, too large) is left to the capture service's own fetch, which
 * knows how to record it.
 */
export class ReadAhead {
  readonly #transport: Pick<Transport, 'readFile' | 'stat'>;
  readonly #watchSet: Pick<CaptureScope, 'maxFileBytes' | 'roots'>;
  readonly #reads = new Map<RemotePath, Promise<ObservedFile | undefined>>();
  /** Bursts in progress: no read ahead while one runs. */
  #suspended = 0;

  constructor(transport: Pick<Transport, 'readFile' | 'stat'>, watchSet: Pick<CaptureScope, 'maxFileBytes' | 'roots'>) {
    this.#transport = transport;
    this.#watchSet = watchSet;
  }

  /** Sees every event of a watched path: a finishing event starts a read, any other one voids it. */
  note(event: InotifyEvent): void {
    if (event.isDir || this.#suspended > 0) return;
    if (event.events.some((e) => e === 'close_write' || e === 'moved_to')) {
      const read = this.#read(event.path);
      read.catch(() => {});
      this.#reads.set(event.path, read);
    } else {
      this.#reads.delete(event.path);
    }
  }

  /** The requests with what was read attached (read now for small batches without a read ahead). */
  async attach(requests: readonly CaptureRequest[]): Promise<readonly CaptureRequest[]> {
    const small = requests.length <= READ_AHEAD_MAX_BATCH;
    return await Promise.all(
      requests.map(async (request) => {
        const ahead = this.#reads.get(request.path);
        this.#reads.delete(request.path);
        if (request.kind === 'deleted' || request.observed) return request;
        const observed = await (ahead ?? (small ? this.#read(request.path) : undefined));
        return observed ? { ...request, observed } : request;
      }),
    );
  }

  clear(): void {
    this.#reads.clear();
  }

  /** Drops the reads started so far and starts none until `settled` resolves. */
  suspendUntil(settled: Promise<void>): void {
    this.clear();
    this.#suspended++;
    void settled.finally(() => this.#suspended--);
  }

  async #read(path: RemotePath): Promise<ObservedFile | undefined> {
    try {
      // an event can name a directory since swapped for a link: such a read is dropped, and capture's own fetch
      // (which reads nothing behind a directory link below a root) decides
      const dirs = dirsBelow(rootOf(path, this.#watchSet.roots()) ?? '/', path);
      const [stat, content, ...ancestors] = await Promise.all([
        this.#transport.stat(path),
        this.#transport.readFile(path, { maxBytes: this.#watchSet.maxFileBytes(path) }),
        ...dirs.map((dir) => this.#transport.stat(dir)),
      ]);
      if (ancestors.some((a) => (a as FileStat | null)?.type !== 'directory')) return undefined;
      return stat?.type === 'file' ? { kind: 'content', stat, content } : undefined;
    } catch {
      return undefined;
    }
  }
}
