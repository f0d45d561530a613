/**
 * Parses `inotifywait -m` output into events. Pure: no I/O.
 *
 * Two layouts, chosen from the remote version (`inotifyFormatFor`):
 *
 * - `nul` (inotifywait ≥ 3.20.9): `--format '%e%0[%c%0]%w%0%f%0' --no-newline`.
 *   The transport splits stdout on NUL, so one event arrives as three or four
 *   consecutive records. Names cannot contain NUL, so this is exact for any
 *   name bytes.
 * - `csv` (older versions, or an unreadable version): `--csv`, one
 *   `dir,EVENTS,name` record per line, a field with a comma, quote or
 *   newline quoted. A name holding a newline spans several lines yet is read
 *   exactly. The older `%e<TAB>%w%f` lines are never used: a directory named
 *   `x<newline>DELETE<TAB>` made their continuation line a forged
 *   `DELETE<TAB>/etc/nginx/nginx.conf`.
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
  /** Record separator of the stream, as the transport's `stream()` takes it: `nul` with `%0`, `newline` for `--csv`. */
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

/** The format to use for an `inotifywait` version string such as `3.22.6.0`; null/unknown → csv. */
export function inotifyFormatFor(version: string | null | undefined): InotifyFormat {
  const match = version?.match(/(\d+)\.(\d+)(?:\.(\d+))?/);
  if (!match) return { separator: 'newline', cookies: false };
  const parts = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  if (!atLeast(parts, NUL_SINCE)) return { separator: 'newline', cookies: false };
  return { separator: 'nul', cookies: atLeast(parts, COOKIE_SINCE) };
}

/** The `--format`/`--csv` arguments (trusted literals) for a format. */
export function inotifyFormatArgs(format: InotifyFormat): string[] {
  if (format.separator === 'nul') {
    return ['--format', format.cookies ? '%e%0%c%0%w%0%f%0' : '%e%0%w%0%f%0', '--no-newline'];
  }
  return ['--csv'];
}

export function createInotifyParser(format: InotifyFormat): InotifyRecordParser {
  return format.separator === 'nul' ? new NulRecordParser(format.cookies) : new CsvRecordParser();
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

/** Longest csv record kept while waiting for its closing quote (a path is at most 4 KiB; quoting doubles quotes). */
const MAX_CSV_RECORD = 64 * 1024;

/**
 * `--csv` layout: `%w,%e,%f` per line, fields quoted as CSV. Lines are
 * joined back (with the newline the transport split on) while a quoted
 * field is open, so a name with newlines is one record, read exactly.
 */
class CsvRecordParser implements InotifyRecordParser {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  push(line: Buffer): InotifyRecord[] {
    this.#pending.push(line);
    this.#pendingBytes += line.length + 1;
    const record = this.#pending.length === 1 ? line : Buffer.concat(this.#pending.flatMap((l, i) => (i === 0 ? [l] : [NEWLINE, l])));
    const fields = parseCsvRecord(record);
    if (fields === 'open') {
      // an unterminated quote that never closes is dropped rather than buffered forever
      if (this.#pendingBytes > MAX_CSV_RECORD) this.#reset();
      return [];
    }
    this.#reset();
    if (fields === null || fields.length !== 3) return [];
    const [watched, flags, name] = fields as [Buffer, Buffer, Buffer];
    if (watched[0] !== 0x2f || !EVENT_FLAGS.test(flags.toString('latin1'))) return [];
    const { path, dir } = eventPaths(watched, name);
    const { events, isDir } = parseFlags(flags.toString('latin1'));
    if (events.length === 0) return [];
    return [{ kind: 'event', path, dir, events, isDir, cookie: null }];
  }

  #reset(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}

const NEWLINE = Buffer.from('\n');
const QUOTE = 0x22;
const COMMA = 0x2c;

/** The fields of one CSV record (quotes undone, bytes exact); 'open' while a quoted field is unterminated; null when malformed. */
export function parseCsvRecord(record: Buffer): Buffer[] | 'open' | null {
  const fields: Buffer[] = [];
  let i = 0;
  for (;;) {
    if (record[i] === QUOTE) {
      const parts: Buffer[] = [];
      let start = i + 1;
      for (let j = start; ; j++) {
        if (j >= record.length) return 'open';
        if (record[j] !== QUOTE) continue;
        parts.push(record.subarray(start, j));
        if (record[j + 1] === QUOTE) {
          parts.push(record.subarray(j, j + 1));
          start = j + 2;
          j++;
          continue;
        }
        i = j + 1;
        break;
      }
      fields.push(Buffer.concat(parts));
      if (i === record.length) return fields;
      if (record[i] !== COMMA) return null;
      i++;
    } else {
      const comma = record.indexOf(COMMA, i);
      const end = comma === -1 ? record.length : comma;
      const field = record.subarray(i, end);
      if (field.includes(QUOTE)) return null;
      fields.push(field);
      if (comma === -1) return fields;
      i = comma + 1;
    }
  }
}
