/**
 * Parses `inotifywait -m` output into events. Pure: no I/O.
 *
 * Two layouts, chosen from the remote version (`inotifyFormatFor`):
 *
 * - `nul` (inotifywait ≥ 3.20.9): `--format '%e%0[%c%0]%w%0%f%0' --no-newline`.
 *   The transport splits stdout on NUL, so one event arrives as three or four
 *   consecutive records. Names cannot contain NUL, so this is exact for any
 *   name bytes.
 * - `newline` (older versions): `--format '%e<TAB>%w%f'`, one event per line.
 *   A name that contains a newline splits its event over several lines; such
 *   lines cannot be parsed exactly and become "rescan this directory" hints.
 */
import { type RemotePath, remotePathFromBytes } from '../transport/remote-path.js';

/** The inotify events the watcher asks for (`-e`). */
export const WATCHED_EVENTS = [
  'close_write',
  'moved_to',
  'moved_from',
  'create',
  'delete',
  'attrib',
  'delete_self',
  'move_self',
  'modify',
] as const;

export type InotifyEventName = (typeof WATCHED_EVENTS)[number];

/** One parsed inotify event. */
export interface InotifyEvent {
  readonly kind: 'event';
  /** Full path of the file or directory the event is about. */
  readonly path: RemotePath;
  /** Parent directory of `path`. */
  readonly dir: RemotePath;
  /** The events of interest in this record (others, such as CLOSE, are dropped). */
  readonly events: readonly InotifyEventName[];
  /** The ISDIR flag: the subject is a directory. */
  readonly isDir: boolean;
  /** Move cookie pairing moved_from with moved_to; null when the format has none. */
  readonly cookie: number | null;
}

/** Output that could not be parsed exactly: the directory must be scanned instead. */
export interface RescanHint {
  readonly kind: 'rescan';
  readonly dir: RemotePath;
  readonly reason: string;
}

export type InotifyRecord = InotifyEvent | RescanHint;

/** How inotifywait prints events, decided from its version. */
export interface InotifyFormat {
  /** Record separator of the stream, as the transport's `stream()` takes it. */
  readonly separator: 'nul' | 'newline';
  /** Whether the move cookie (`%c`) is printed. */
  readonly cookies: boolean;
}

/** A parser for one stream; keeps state between records. */
export interface InotifyRecordParser {
  /** Feeds one stream record (without its separator); returns what it completes. */
  push(record: Buffer): InotifyRecord[];
}

const NUL_SINCE = [3, 20, 9];
/** `%c` is used only where it is known to exist; older hosts pair adjacent moves. */
const COOKIE_SINCE = [3, 22, 0];

function atLeast(version: readonly number[], minimum: readonly number[]): boolean {
  for (let i = 0; i < minimum.length; i++) {
    const v = version[i] ?? 0;
    const m = minimum[i] ?? 0;
    if (v !== m) return v > m;
  }
  return true;
}

/** The format to use for an `inotifywait` version string such as `3.22.6.0`; null/unknown → newline. */
export function inotifyFormatFor(version: string | null | undefined): InotifyFormat {
  const match = version?.match(/(\d+)\.(\d+)(?:\.(\d+))?/);
  if (!match) return { separator: 'newline', cookies: false };
  const parts = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  if (!atLeast(parts, NUL_SINCE)) return { separator: 'newline', cookies: false };
  return { separator: 'nul', cookies: atLeast(parts, COOKIE_SINCE) };
}

/** The `--format` arguments (trusted literals) for a format. */
export function inotifyFormatArgs(format: InotifyFormat): string[] {
  if (format.separator === 'nul') {
    return ['--format', format.cookies ? '%e%0%c%0%w%0%f%0' : '%e%0%w%0%f%0', '--no-newline'];
  }
  return ['--format', '%e\t%w%f'];
}

export function createInotifyParser(format: InotifyFormat): InotifyRecordParser {
  return format.separator === 'nul' ? new NulRecordParser(format.cookies) : new LineRecordParser();
}

const EVENT_FLAGS = /^[A-Z_]+(,[A-Z_]+)*$/;
const COOKIE = /^[0-9a-f]*$/;
const WANTED = new Set<string>(WATCHED_EVENTS);

/** Splits `CLOSE_WRITE,CLOSE,ISDIR` into the wanted event names and the ISDIR flag. */
function parseFlags(text: string): { events: InotifyEventName[]; isDir: boolean } {
  const events: InotifyEventName[] = [];
  let isDir = false;
  for (const flag of text.split(',')) {
    const name = flag.toLowerCase();
    if (name === 'isdir') isDir = true;
    else if (WANTED.has(name)) events.push(name as InotifyEventName);
  }
  return { events, isDir };
}

/** The subject's path and its parent directory, from the bytes of a full path (a trailing `/` dropped). */
function splitPath(full: Buffer): { path: RemotePath; dir: RemotePath } {
  const bytes = full.length > 1 && full[full.length - 1] === 0x2f ? full.subarray(0, -1) : full;
  const slash = bytes.lastIndexOf(0x2f);
  return {
    path: remotePathFromBytes(bytes),
    dir: remotePathFromBytes(slash <= 0 ? Buffer.from('/') : bytes.subarray(0, slash)),
  };
}

/** `%w` ends with `/` for events inside a directory; for self events (empty `%f`) it is the subject. */
const eventPaths = (watched: Buffer, name: Buffer) =>
  splitPath(name.length === 0 ? watched : Buffer.concat([watched, watched.at(-1) === 0x2f ? Buffer.alloc(0) : Buffer.from('/'), name]));

class NulRecordParser implements InotifyRecordParser {
  readonly #fieldCount: number;
  readonly #cookies: boolean;
  #fields: Buffer[] = [];

  constructor(cookies: boolean) {
    this.#cookies = cookies;
    this.#fieldCount = cookies ? 4 : 3;
  }

  push(record: Buffer): InotifyRecord[] {
    if (this.#fields.length === 0 && !EVENT_FLAGS.test(record.toString('latin1'))) {
      // Out of step (cannot happen with an intact stream): skip to the next flags field.
      return [];
    }
    this.#fields.push(record);
    if (this.#fields.length < this.#fieldCount) return [];
    const [flags, ...rest] = this.#fields as [Buffer, ...Buffer[]];
    this.#fields = [];
    const cookieText = this.#cookies ? (rest.shift() as Buffer).toString('latin1') : '';
    const [watched, name] = rest as [Buffer, Buffer];
    const { path, dir } = eventPaths(watched, name);
    if (!COOKIE.test(cookieText)) return [{ kind: 'rescan', dir, reason: 'unparsable move cookie' }];
    const { events, isDir } = parseFlags(flags.toString('latin1'));
    if (events.length === 0) return [];
    const cookie = this.#cookies && cookieText !== '' && cookieText !== '0' ? Number.parseInt(cookieText, 16) : null;
    return [{ kind: 'event', path, dir, events, isDir, cookie }];
  }
}

/**
 * Newline layout: `FLAGS<TAB>/full/path`. A line that does not start with
 * flags and an absolute path is the tail of a name that contained a newline;
 * the previous event's directory is rescanned (its name was cut short too).
 */
class LineRecordParser implements InotifyRecordParser {
  #lastDir: RemotePath | null = null;

  push(line: Buffer): InotifyRecord[] {
    const tab = line.indexOf(0x09);
    const flags = tab > 0 ? line.subarray(0, tab).toString('latin1') : '';
    const full = tab > 0 ? line.subarray(tab + 1) : Buffer.alloc(0);
    if (!EVENT_FLAGS.test(flags) || full[0] !== 0x2f) {
      const dir = this.#lastDir;
      return dir === null ? [] : [{ kind: 'rescan', dir, reason: 'event line not parsable exactly (newline in a name?)' }];
    }
    const { events, isDir } = parseFlags(flags);
    const { path, dir } = splitPath(full);
    // If the next line turns out to be the rest of this name, the name lies in `dir`
    // (or in `path` itself when the cut came right after a `/`).
    this.#lastDir = full.at(-1) === 0x2f ? path : dir;
    if (events.length === 0) return [];
    return [{ kind: 'event', path, dir, events, isDir, cookie: null }];
  }
}

