/**
 * The two remote scripts of a poll and their output parsers (no I/O here).
 *
 * Listing: ONE script lists every file and symlink under the roots with its
 * metadata (a link with its target, never read through) and the sha256 of
 * the regular files that may have changed. On GNU hosts "may have changed"
 * means: status changed after `since`, a time on the host's own clock that
 * the previous listing reported and the scanner keeps, so no marker file is
 * left on the host for anyone to plant or redirect. Busybox `find` has no
 * `-printf` or `-newerct`: there every file is stat'ed and hashed on each
 * poll, which is fine for the small trees such hosts carry.
 *
 * Fetch: ONE script returns metadata and bytes of many files, framed as a
 * header record per file followed by exactly that many content bytes.
 *
 * Both are bounded whatever a user of the host puts in a watched tree:
 * links are reported, not followed (a link to /dev/zero or /etc/shadow is a
 * link); bytes are read through `head -c` or checked against a hash; every
 * hash of a file that may be swapped for something endless runs under
 * `timeout` where the host has it. Temp files live in a fresh `mktemp -d`
 * directory (0700, random name), never at a predictable name.
 *
 * Records are NUL-terminated and paths are raw bytes, so names with
 * newlines, quotes or invalid UTF-8 survive. The listing is gzipped when the
 * host has gzip.
 */
import { isAscii } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { ConfwatchError } from '../errors.js';
import { parseStatLine, STAT_FORMAT } from '../transport/shell-file-ops.js';
import { joinScripts, raw, type ShellScript, type ShellValue, sh } from '../transport/quote.js';
import { type RemotePath, remoteDirname, remotePathFromBytes } from '../transport/remote-path.js';
import type { FileStat } from '../transport/transport.js';
import { sha256Hex } from '../hash.js';

/** Which tool set the listing uses; 'auto' probes inside the script. */
export type ScriptFlavour = 'auto' | 'gnu' | 'busybox';

export interface ListingRequest {
  /** Directories to list (recursively, symlinks not followed below them). */
  readonly roots: readonly RemotePath[];
  /** `find -name` pre-filter; null lists every file. */
  readonly namePatterns: readonly string[] | null;
  /**
   * Incremental hashing: hash only files whose status changed after this
   * time (seconds on the host's clock, as a previous `Listing.remoteTime`,
   * less a margin). Omitted or null: hash every file.
   */
  readonly since?: number | null;
  readonly flavour?: ScriptFlavour;
  /** Longest time the hashing may take before it is cut short. Default 90 s. */
  readonly hashTimeoutSec?: number;
}

export interface ListingEntry {
  readonly path: RemotePath;
  readonly type: 'file' | 'symlink';
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  /** Permission bits. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** sha256 hex; null when not hashed this time (unchanged since `since`, unreadable, or a link). */
  readonly hash: string | null;
  /** A link's target as stored in the link (possibly relative); null for a regular file. */
  readonly target: RemotePath | null;
}

export interface Listing {
  /** True when only files changed since `since` were hashed. */
  readonly incremental: boolean;
  /** The host's clock (seconds) when the listing started: the next poll's `since`. */
  readonly remoteTime: number;
  readonly entries: ListingEntry[];
}

const HEADER = 'CW2';

/** remotePathFromBytes with a fast path for the common plain-ASCII absolute name. */
const pathFromBytes = (bytes: Buffer): RemotePath =>
  bytes[0] === 0x2f && isAscii(bytes) ? bytes.toString('latin1') : remotePathFromBytes(bytes);
const HASH_SECTION = '#hashes';
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Largest listing accepted once gunzipped: far beyond any tree confwatch watches. */
export const MAX_LISTING_BYTES = 512 * 1024 * 1024;

/** `find -printf` of one entry: a link's record is followed by its target (`%l`). */
const PRINTF_LINK = "'l %s %T@ %i %m %U %G\\0%p\\0%l\\0'";
const PRINTF_FILE = "'f %s %T@ %i %m %U %G\\0%p\\0'";

/**
 * Shell code setting `$w` to a fresh private directory and `$to` to a
 * `timeout` prefix (empty where the host has none). sudo resets
 * XDG_RUNTIME_DIR, so root's directory is a `mktemp -d` under /tmp: random
 * name, created exclusively, 0700.
 */
const PRIVATE_DIR = (timeoutSec: number) =>
  raw(`umask 077
b=\${XDG_RUNTIME_DIR:-/tmp}
[ -d "$b" ] && [ -w "$b" ] || b=/tmp
w=$(mktemp -d "$b/confwatch.XXXXXXXX") || exit 70
trap 'rm -rf "$w"' EXIT
if timeout -s KILL 5 true >/dev/null 2>&1; then to="timeout -s KILL ${timeoutSec}"; else to=; fi`);

function findArgs(request: ListingRequest): ShellScript {
  const patterns = request.namePatterns ?? [];
  const nameFilter: ShellValue =
    patterns.length === 0
      ? raw('')
      : [raw('\\('), ...patterns.flatMap((p, i) => (i === 0 ? [raw('-name'), p] : [raw('-o -name'), p])), raw('\\)')];
  // `.git` internals are never tracked (default excludes): do not descend.
  return sh`find -H ${[...request.roots]} -name .git -prune -o \\( -type f -o -type l \\) ${nameFilter}`;
}

/** The listing script; run it with `transport.run`. */
export function buildListingScript(request: ListingRequest): ShellScript {
  const find = findArgs(request);
  const flavour = request.flavour ?? 'auto';
  const since = request.since === undefined || request.since === null ? '' : String(Math.max(0, Math.floor(request.since)));
  const detect =
    flavour === 'auto'
      ? raw(`if find / -maxdepth 0 -newerct @0 -printf '' >/dev/null 2>&1 && sha256sum -z </dev/null >/dev/null 2>&1; then gnu=1; fi`)
      : raw(flavour === 'gnu' ? 'gnu=1' : '');
  return sh`${PRIVATE_DIR(request.hashTimeoutSec ?? 90)}
gnu=
${detect}
since=${since}
[ -n "$gnu" ] || since=
now=$(date +%s)
t=$w/hash
: > "$t" || exit 70
if command -v gzip >/dev/null 2>&1; then z='gzip -c -1'; else z=cat; fi
{
  if [ -n "$since" ]; then printf '${raw(HEADER)} inc %s\\0' "$now"; else printf '${raw(HEADER)} full %s\\0' "$now"; fi
  if [ -n "$gnu" ]; then
    if [ -n "$since" ]; then
      ${find} \\( -type l -printf ${raw(PRINTF_LINK)} -o -printf ${raw(PRINTF_FILE)} -newerct "@$since" -fprint0 "$t" \\) 2>/dev/null
    else
      ${find} \\( -type l -printf ${raw(PRINTF_LINK)} -o -printf ${raw(PRINTF_FILE)} -fprint0 "$t" \\) 2>/dev/null
    fi
    printf '${raw(HASH_SECTION)}\\0'
    $to xargs -0 -r sha256sum -z -- < "$t" 2>/dev/null
  else
    ${find} -exec sh -c '
      t=$1; shift
      for f do
        s=$(stat -c "${raw(STAT_FORMAT)}" "$f" 2>/dev/null) || continue
        if [ -L "$f" ]; then
          l=$(readlink "$f"; printf .)
          printf "S %s\\0%s\\0%s\\0" "$s" "$f" "\${l%??}"
          continue
        fi
        printf "S %s\\0%s\\0" "$s" "$f"
        n=\${s#* }; n=\${n%% *}
        h=$(head -c $((n + 1)) < "$f" 2>/dev/null | sha256sum) && printf "%s  %s\\0" "\${h%% *}" "$f" >> "$t"
      done' sh "$t" {} + 2>/dev/null
    printf '${raw(HASH_SECTION)}\\0'
    cat "$t"
  fi
} | $z`;
}

/**
 * Parses the listing output (gzipped or not). Throws on output that does not
 * follow the format: a truncated listing must never look like deleted files.
 */
export function parseListing(stdout: Buffer, options: { maxBytes?: number } = {}): Listing {
  const data = stdout[0] === 0x1f && stdout[1] === 0x8b ? gunzipBounded(stdout, options.maxBytes ?? MAX_LISTING_BYTES) : stdout;
  const reader = new RecordReader(data);
  const header = reader.next()?.toString('latin1');
  const m = header === undefined ? null : new RegExp(`^${HEADER} (inc|full) (\\d+)$`).exec(header);
  if (!m) throw new Error(`unexpected listing header ${JSON.stringify(header?.slice(0, 40) ?? null)}`);
  const metas = new Map<RemotePath, Omit<ListingEntry, 'hash'>>();
  for (;;) {
    const meta = reader.next();
    if (meta === undefined) throw new Error('listing ended before its hash section');
    const text = meta.toString('latin1');
    if (text === HASH_SECTION) break;
    const pathBytes = reader.next();
    if (pathBytes === undefined) throw new Error('listing ended inside a record');
    const path = pathFromBytes(pathBytes);
    const entry = parseMeta(path, text);
    const target = entry.type === 'symlink' ? reader.next() : null;
    if (target === undefined) throw new Error('listing ended inside a record');
    metas.set(path, { ...entry, target: target === null ? null : remotePathFromBytes(target) });
  }
  const hashes = new Map<RemotePath, string>();
  for (let rec = reader.next(); rec !== undefined; rec = reader.next()) {
    const [path, hash] = parseHashRecord(rec);
    hashes.set(path, hash);
  }
  if (!reader.atEnd) throw new Error('listing ended inside a record');
  // a link is never hashed through: a hash for one can only come from a swap mid-listing
  const entries = [...metas.values()].map((e) => ({ ...e, hash: e.type === 'file' ? (hashes.get(e.path) ?? null) : null }));
  return { incremental: m[1] === 'inc', remoteTime: Number(m[2]), entries };
}

/** gunzip that refuses to inflate past `limit` bytes (a hostile host can send a gzip bomb). */
function gunzipBounded(data: Buffer, limit: number): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: limit });
  } catch (error) {
    if (error instanceof RangeError) {
      throw new ConfwatchError('CW_ERR_REMOTE_OUTPUT_TOO_LARGE', `a listing inflates to more than ${limit} bytes: it was dropped`, { cause: error });
    }
    throw error;
  }
}

type Meta = Omit<ListingEntry, 'hash' | 'target'>;

function parseMeta(path: RemotePath, text: string): Meta {
  if (text.startsWith('S ')) {
    const stat = parseStatLine(path, text.slice(2));
    return { ...statFields(stat), type: stat.type === 'symlink' ? 'symlink' : 'file' };
  }
  const m = /^([fl]) (\d+) (\d+)(?:\.(\d+))? (\d+) ([0-7]+) (\d+) (\d+)$/.exec(text);
  if (!m) throw new Error(`malformed listing record ${JSON.stringify(text.slice(0, 80))}`);
  return {
    path,
    type: m[1] === 'l' ? 'symlink' : 'file',
    size: Number(m[2]),
    mtimeMs: Number(m[3]) * 1000 + Number(`${m[4] ?? ''}000`.slice(0, 3)),
    ino: Number(m[5]),
    mode: Number.parseInt(m[6] as string, 8),
    uid: Number(m[7]),
    gid: Number(m[8]),
  };
}

const statFields = (s: FileStat) => ({
  path: s.path,
  size: s.size,
  mtimeMs: s.mtimeMs,
  ino: s.ino,
  mode: s.mode,
  uid: s.uid,
  gid: s.gid,
});

/** NUL-terminated records, one at a time. */
class RecordReader {
  #offset = 0;
  readonly #data: Buffer;

  constructor(data: Buffer) {
    this.#data = data;
  }

  get atEnd(): boolean {
    return this.#offset >= this.#data.length;
  }

  /** The next complete record; undefined at the end (an unterminated tail is left unread). */
  next(): Buffer | undefined {
    const end = this.#data.indexOf(0, this.#offset);
    if (end === -1) return undefined;
    const record = this.#data.subarray(this.#offset, end);
    this.#offset = end + 1;
    return record;
  }

  /** The next `length` raw bytes. */
  take(length: number): Buffer | undefined {
    if (this.#offset + length > this.#data.length) return undefined;
    const bytes = this.#data.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return bytes;
  }
}

export interface FetchRequest {
  readonly path: RemotePath;
  /** Larger files come back as hash and metadata only. */
  readonly maxBytes: number;
  /**
   * The watched root the path lies under. A directory between the root and
   * the path that is a symbolic link makes the path read as `missing`,
   * unread: a user who can write inside the tree could otherwise point
   * `<root>/dir` at `/etc` and have root read `/etc/...` by a watched name.
   * The root itself (and what is above it) is the administrator's choice
   * and may be a link. Omitted: only the path itself is looked at.
   */
  readonly root?: RemotePath;
}

/** Requests sharing a size limit and a root are one `group` of the GNU fetch script. */
const groupKey = (request: FetchRequest): string => `${request.maxBytes}\0${rootArg(request)}`;

/** The root argument the fetch script's `nolink` takes: '' for `/`, the path's own directory when there is none. */
const rootArg = (request: FetchRequest): RemotePath => {
  const root = request.root ?? remoteDirname(request.path);
  return root === '/' ? '' : root;
};

export type FetchResult =
  | { readonly status: 'ok'; readonly path: RemotePath; readonly stat: FileStat; readonly content: Buffer }
  | { readonly status: 'too-large'; readonly path: RemotePath; readonly stat: FileStat; readonly hash: string | null }
  /** A symlink, reported with its target and never read through. */
  | { readonly status: 'link'; readonly path: RemotePath; readonly stat: FileStat; readonly target: RemotePath }
  /** The file changed while it was read (its bytes do not match its hash): read it again. */
  | { readonly status: 'unstable'; readonly path: RemotePath; readonly stat: FileStat }
  | { readonly status: 'missing'; readonly path: RemotePath }
  | { readonly status: 'unreadable'; readonly path: RemotePath };

const FETCH_HEADER = 'CWF2';

/**
 * One script that returns metadata and bytes of every requested file.
 * Symlinks are reported as links (`find` without `-H`, `tar` without `-h`);
 * nothing that is not a regular file is read.
 *
 * GNU hosts (a handful of processes per batch, whatever its size): per
 * group of requests sharing a size limit, `G\0`, the `find -printf` lstat
 * records (a link's followed by its target), `H\0`, `sha256sum -z` records
 * of every regular file, `T\0` and a tar archive (`-b 1`, so it ends right
 * after its two zero blocks) of those within the limit. The hashes are
 * taken first, so a file that grew, shrank (tar pads it with zeros) or was
 * swapped before tar read it shows as a mismatch, never as stored bytes.
 *
 * Busybox (a few processes per file, in request order): `OK <n> <stat>\0` +
 * n bytes read with `head -c`, `BIG <hash|-> <stat>\0`, `LINK <stat>\0<target>\0`,
 * `ENOENT\0` or `EACCES\0`.
 *
 * Either way a path with a link between its root and itself (see
 * FetchRequest.root) is dropped by the shell's own `[ -L ]` tests before
 * anything opens it, and reads as missing.
 */
export function buildFetchScript(requests: readonly FetchRequest[], flavour: ScriptFlavour = 'auto', hashTimeoutSec = 60): ShellScript {
  const groups = new Map<string, { max: number; root: RemotePath; paths: RemotePath[] }>();
  for (const r of requests) {
    const key = groupKey(r);
    const group = groups.get(key) ?? { max: r.maxBytes, root: rootArg(r), paths: [] };
    group.paths.push(r.path);
    groups.set(key, group);
  }
  const detect =
    flavour === 'auto'
      ? raw(`case $(tar --version 2>/dev/null) in *GNU*) find / -maxdepth 0 -printf '' >/dev/null 2>&1 && gnu=1;; esac`)
      : raw(flavour === 'gnu' ? 'gnu=1' : '');
  return sh`${PRIVATE_DIR(hashTimeoutSec)}
gnu=
${detect}
nolink() {
  d=$1 rest=\${2#"$1"/}
  while :; do
    case $rest in */*) ;; *) return 0;; esac
    d=$d/\${rest%%/*} rest=\${rest#*/}
    [ ! -L "$d" ] || return 1
  done
}
group() {
  max=$1 root=$2; shift 2
  ok=1
  for p do nolink "$root" "$p" || ok=; done
  if [ -z "$ok" ]; then
    # rare (a link was planted): rebuilding the list is quadratic, so it is done only then
    n=$#
    while [ "$n" -gt 0 ]; do
      if nolink "$root" "$1"; then set -- "$@" "$1"; fi
      shift; n=$((n - 1))
    done
  fi
  # find with no path would list the working directory: name one that cannot exist
  [ $# -gt 0 ] || set -- /dev/null/none
  printf 'G\\0'
  find "$@" -maxdepth 0 \\( -type l -printf ${raw(PRINTF_LINK)} -o -type f -printf ${raw(PRINTF_FILE)} \\) 2>/dev/null
  printf 'H\\0'
  find "$@" -maxdepth 0 -type f -print0 2>/dev/null | $to xargs -0 -r sha256sum -z -- 2>/dev/null
  printf 'T\\0'
  find "$@" -maxdepth 0 -type f ! -size +"$max"c -print0 2>/dev/null |
    tar -c -P -b 1 --null -T - -f - 2>/dev/null
}
fetch() {
  f=$1 max=$2
  if ! nolink "$3" "$f"; then printf 'ENOENT\\0'; return; fi
  if [ -L "$f" ]; then
    s=$(stat -c '${raw(STAT_FORMAT)}' "$f" 2>/dev/null) && l=$(readlink "$f"; printf .) || { printf 'ENOENT\\0'; return; }
    printf 'LINK %s\\0%s\\0' "$s" "\${l%??}"
    return
  fi
  if [ ! -f "$f" ]; then printf 'ENOENT\\0'; return; fi
  s=$(stat -c '${raw(STAT_FORMAT)}' "$f" 2>/dev/null) || { printf 'ENOENT\\0'; return; }
  if ! head -c $((max + 1)) < "$f" > "$t" 2>/dev/null; then
    if [ -e "$f" ]; then printf 'EACCES\\0'; else printf 'ENOENT\\0'; fi
    return
  fi
  n=$(($(wc -c < "$t")))
  if [ "$n" -gt "$max" ]; then
    h=$($to sha256sum < "$f" 2>/dev/null) || h=-
    printf 'BIG %s %s\\0' "\${h%% *}" "$s"
    return
  fi
  printf 'OK %s %s\\0' "$n" "$s"
  cat "$t"
}
if [ -n "$gnu" ]; then
  printf '${raw(FETCH_HEADER)} gnu\\0'
${joinScripts([...groups.values()].map(({ max, root, paths }) => sh`  group ${max} ${root} ${paths}`))}
else
  t=$w/file
  printf '${raw(FETCH_HEADER)} each\\0'
${joinScripts(requests.map((r) => sh`  fetch ${r.path} ${r.maxBytes} ${rootArg(r)}`))}
fi`;
}

/** Parses fetch output against the requests it was built from. Throws on truncated or malformed output. */
export function parseFetch(stdout: Buffer, requests: readonly FetchRequest[]): FetchResult[] {
  const reader = new RecordReader(stdout);
  const header = reader.next()?.toString('latin1');
  if (header === `${FETCH_HEADER} each`) return requests.map(({ path, maxBytes }) => parseEachRecord(reader, path, maxBytes));
  if (header !== `${FETCH_HEADER} gnu`) throw new Error(`unexpected fetch header ${JSON.stringify(header?.slice(0, 40) ?? null)}`);

  const stats = new Map<RemotePath, FileStat>();
  const targets = new Map<RemotePath, RemotePath>();
  const hashes = new Map<RemotePath, string>();
  const contents = new Map<RemotePath, Buffer>();
  const groupCount = new Set(requests.map(groupKey)).size;
  for (let g = 0; g < groupCount; g++) {
    if (reader.next()?.toString('latin1') !== 'G') throw new Error('fetch output ended early');
    for (let rec = reader.next(); rec?.toString('latin1') !== 'H'; rec = reader.next()) {
      const pathBytes = reader.next();
      if (rec === undefined || pathBytes === undefined) throw new Error('fetch output ended early');
      const path = remotePathFromBytes(pathBytes);
      const meta = parseMeta(path, rec.toString('latin1'));
      stats.set(path, { ...meta, type: meta.type });
      if (meta.type === 'symlink') {
        const target = reader.next();
        if (target === undefined) throw new Error('fetch output ended early');
        targets.set(path, remotePathFromBytes(target));
      }
    }
    for (let rec = reader.next(); rec?.toString('latin1') !== 'T'; rec = reader.next()) {
      if (rec === undefined) throw new Error('fetch output ended early');
      const [path, hash] = parseHashRecord(rec);
      hashes.set(path, hash);
    }
    for (const [path, content] of readTar(reader)) contents.set(path, content);
  }
  if (!reader.atEnd) throw new Error('unexpected bytes after the fetch output');
  return requests.map(({ path, maxBytes }): FetchResult => {
    const stat = stats.get(path);
    if (!stat) return { status: 'missing', path };
    const target = targets.get(path);
    if (target !== undefined) return { status: 'link', path, stat, target };
    const hash = hashes.get(path);
    const content = contents.get(path);
    if (content) {
      // bytes are kept only when they are the bytes that were hashed, and within the limit
      if (hash === undefined || sha256Hex(content) !== hash) return { status: 'unstable', path, stat };
      if (content.length > maxBytes) return { status: 'too-large', path, stat: { ...stat, size: content.length }, hash };
      return { status: 'ok', path, stat: { ...stat, size: content.length }, content };
    }
    if (hash === undefined) return { status: 'unreadable', path };
    // small when listed, yet not archived: swapped or grown meanwhile
    if (stat.size <= maxBytes) return { status: 'unstable', path, stat };
    return { status: 'too-large', path, stat, hash };
  });
}

function parseEachRecord(reader: RecordReader, path: RemotePath, maxBytes: number): FetchResult {
  const header = reader.next()?.toString('latin1');
  if (header === undefined) throw new Error('fetch output ended early');
  if (header === 'ENOENT') return { status: 'missing', path };
  if (header === 'EACCES') return { status: 'unreadable', path };
  const link = /^LINK (.*)$/s.exec(header);
  if (link) {
    const target = reader.next();
    if (target === undefined) throw new Error('fetch output ended early');
    return { status: 'link', path, stat: parseStatLine(path, link[1] as string), target: remotePathFromBytes(target) };
  }
  const big = /^BIG (\S+) (.*)$/s.exec(header);
  if (big) {
    const hash = SHA256_HEX.test(big[1] as string) ? (big[1] as string) : null;
    return { status: 'too-large', path, stat: parseStatLine(path, big[2] as string), hash };
  }
  const ok = /^OK (\d+) (.*)$/s.exec(header);
  if (!ok) throw new Error(`malformed fetch header ${JSON.stringify(header.slice(0, 80))}`);
  const length = Number(ok[1]);
  if (length > maxBytes) throw new Error('fetch output holds a file over its limit');
  const content = reader.take(length);
  if (!content) throw new Error('fetch output ended inside a file');
  return { status: 'ok', path, stat: { ...parseStatLine(path, ok[2] as string), size: length }, content: Buffer.from(content) };
}

/** `sha256sum -z` output: "HASH  NAME" (or "HASH *NAME" in binary mode). */
function parseHashRecord(rec: Buffer): [RemotePath, string] {
  const hash = rec.subarray(0, 64).toString('latin1');
  if (!SHA256_HEX.test(hash) || rec.length < 67) throw new Error('malformed hash record');
  return [pathFromBytes(rec.subarray(66)), hash];
}

const BLOCK = 512;

/**
 * Regular files of a GNU tar archive (`-P`: names as given), up to its
 * end-of-archive blocks. GNU long names (`L` entries) are honoured; other
 * entry types are skipped.
 */
function readTar(reader: RecordReader): Map<RemotePath, Buffer> {
  const files = new Map<RemotePath, Buffer>();
  let longName: Buffer | undefined;
  for (;;) {
    const header = reader.take(BLOCK);
    if (!header) throw new Error('fetch archive ended early');
    if (header.every((b) => b === 0)) {
      if (!reader.take(BLOCK)) throw new Error('fetch archive ended early');
      return files;
    }
    const size = Number.parseInt(cString(header.subarray(124, 136)).toString('latin1').trim() || '0', 8);
    const data = reader.take(Math.ceil(size / BLOCK) * BLOCK);
    if (!data || Number.isNaN(size)) throw new Error('malformed fetch archive');
    const type = String.fromCharCode(header[156] ?? 0);
    if (type === 'L') {
      longName = cString(data.subarray(0, size));
      continue;
    }
    const name = longName ?? cString(header.subarray(0, 100));
    longName = undefined;
    if (type === '0' || type === '\0' || type === '7') files.set(remotePathFromBytes(name), Buffer.from(data.subarray(0, size)));
  }
}

const cString = (bytes: Buffer): Buffer => {
  const end = bytes.indexOf(0);
  return end === -1 ? bytes : bytes.subarray(0, end);
};
