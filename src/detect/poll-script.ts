/**
 * The two remote scripts of a poll and their output parsers (no I/O here).
 *
 * Listing: ONE script lists every file under the roots with its metadata
 * and the sha256 of the files that may have changed. On GNU hosts "may have
 * changed" means: status changed after the previous poll started, which a
 * marker file in the remote user's runtime directory records (its content
 * is a generation token the scanner holds, so a lost marker or a restarted
 * confwatch means "hash everything"). Busybox `find` has no `-printf` or
 * `-cnewer`: there every file is stat'ed and hashed on each poll, which is
 * fine for the small trees such hosts carry.
 *
 * Fetch: ONE script returns metadata and bytes of many files, framed as a
 * header record per file followed by exactly that many content bytes.
 *
 * Records are NUL-terminated and paths are raw bytes, so names with
 * newlines, quotes or invalid UTF-8 survive. The listing is gzipped when the
 * host has gzip.
 */
import { isAscii } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { parseStatLine, STAT_FORMAT } from '../transport/shell-file-ops.js';
import { joinScripts, raw, type ShellScript, type ShellValue, sh } from '../transport/quote.js';
import { type RemotePath, remotePathFromBytes } from '../transport/remote-path.js';
import type { FileStat } from '../transport/transport.js';

/** Which tool set the listing uses; 'auto' probes inside the script. */
export type ScriptFlavour = 'auto' | 'gnu' | 'busybox';

export interface ListingRequest {
  /** Directories to list (recursively, symlinks not followed below them). */
  readonly roots: readonly RemotePath[];
  /** `find -name` pre-filter; null lists every file. */
  readonly namePatterns: readonly string[] | null;
  /**
   * Incremental hashing: hash only files changed since the poll that wrote
   * `previousToken`, and leave `nextToken` for the next one. Omitted: hash
   * every file and leave the marker alone.
   */
  readonly incremental?: {
    /** Marker file name part, unique per device on the host (a slug). */
    readonly key: string;
    readonly previousToken: string | null;
    readonly nextToken: string;
  };
  readonly flavour?: ScriptFlavour;
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
  /** sha256 hex; null when not hashed this time (unchanged since the marker, or unreadable). */
  readonly hash: string | null;
}

export interface Listing {
  /** True when only files changed since the previous poll were hashed. */
  readonly incremental: boolean;
  readonly entries: ListingEntry[];
}

const HEADER = 'CW1';

/** remotePathFromBytes with a fast path for the common plain-ASCII absolute name. */
const pathFromBytes = (bytes: Buffer): RemotePath =>
  bytes[0] === 0x2f && isAscii(bytes) ? bytes.toString('latin1') : remotePathFromBytes(bytes);
const HASH_SECTION = '#hashes';
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Keeps marker names to a safe alphabet whatever the device name is. */
const markerKey = (key: string): string => key.replace(/[^A-Za-z0-9._-]/g, '_');

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
  const inc = request.incremental;
  const flavour = request.flavour ?? 'auto';
  const marker = inc ? sh`m="$d"/.confwatch-${markerKey(inc.key)}-$(id -u).mark
prev=${inc.previousToken ?? ''}
if [ -n "$prev" ] && [ -f "$m" ] && [ "$(cat "$m" 2>/dev/null)" = "$prev" ]; then since=$m; fi
printf '%s' ${inc.nextToken} > "$m.new" || exit 71` : sh`m=`;
  const detect =
    flavour === 'auto'
      ? raw(`if find "$d" -maxdepth 0 -printf '' >/dev/null 2>&1 && sha256sum -z </dev/null >/dev/null 2>&1; then gnu=1; fi`)
      : raw(flavour === 'gnu' ? 'gnu=1' : '');
  return sh`umask 077
d=\${XDG_RUNTIME_DIR:-/tmp}
[ -d "$d" ] && [ -w "$d" ] || d=/tmp
gnu= since=
${detect}
${marker}
[ -n "$gnu" ] || since=
t=$(mktemp "$d/.confwatch-scan.XXXXXX") || exit 70
if command -v gzip >/dev/null 2>&1; then z='gzip -c -1'; else z=cat; fi
{
  if [ -n "$since" ]; then printf '${raw(HEADER)} inc\\0'; else printf '${raw(HEADER)} full\\0'; fi
  if [ -n "$gnu" ]; then
    # mark 2 s early: a change in the same clock tick as the marker is hashed again next time
    [ -n "$m" ] && touch -d "@$(( $(date +%s) - 2 ))" "$m.new" 2>/dev/null
    if [ -n "$since" ]; then
      ${find} -printf '%y %s %T@ %i %m %U %G\\0%p\\0' \\( -type l -o -cnewer "$since" \\) -fprint0 "$t" 2>/dev/null
    else
      ${find} -printf '%y %s %T@ %i %m %U %G\\0%p\\0' -fprint0 "$t" 2>/dev/null
    fi
    printf '${raw(HASH_SECTION)}\\0'
    xargs -0 -r sha256sum -z -- < "$t" 2>/dev/null
  else
    ${find} -exec sh -c '
      t=$1; shift
      for f do
        s=$(stat -c "${raw(STAT_FORMAT)}" "$f" 2>/dev/null) || continue
        printf "S %s\\0%s\\0" "$s" "$f"
        h=$(sha256sum < "$f" 2>/dev/null) && printf "%s  %s\\0" "\${h%% *}" "$f" >> "$t"
      done' sh "$t" {} + 2>/dev/null
    printf '${raw(HASH_SECTION)}\\0'
    cat "$t"
  fi
} | $z
rc=$?
rm -f "$t"
[ -n "$m" ] && mv -f "$m.new" "$m"
exit $rc`;
}

/**
 * Parses the listing output (gzipped or not). Throws on output that does not
 * follow the format: a truncated listing must never look like deleted files.
 */
export function parseListing(stdout: Buffer): Listing {
  const data = stdout[0] === 0x1f && stdout[1] === 0x8b ? gunzipSync(stdout) : stdout;
  const reader = new RecordReader(data);
  const header = reader.next()?.toString('latin1');
  if (header !== `${HEADER} inc` && header !== `${HEADER} full`) {
    throw new Error(`unexpected listing header ${JSON.stringify(header?.slice(0, 40) ?? null)}`);
  }
  const metas = new Map<RemotePath, Omit<ListingEntry, 'hash'>>();
  for (;;) {
    const meta = reader.next();
    if (meta === undefined) throw new Error('listing ended before its hash section');
    const text = meta.toString('latin1');
    if (text === HASH_SECTION) break;
    const pathBytes = reader.next();
    if (pathBytes === undefined) throw new Error('listing ended inside a record');
    const path = pathFromBytes(pathBytes);
    metas.set(path, parseMeta(path, text));
  }
  const hashes = new Map<RemotePath, string>();
  for (let rec = reader.next(); rec !== undefined; rec = reader.next()) {
    const [path, hash] = parseHashRecord(rec);
    hashes.set(path, hash);
  }
  if (!reader.atEnd) throw new Error('listing ended inside a record');
  const entries = [...metas.values()].map((m) => ({ ...m, hash: hashes.get(m.path) ?? null }));
  return { incremental: header === `${HEADER} inc`, entries };
}

function parseMeta(path: RemotePath, text: string): Omit<ListingEntry, 'hash'> {
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
}

export type FetchResult =
  | { readonly status: 'ok'; readonly path: RemotePath; readonly stat: FileStat; readonly content: Buffer }
  | { readonly status: 'too-large'; readonly path: RemotePath; readonly stat: FileStat; readonly hash: string | null }
  | { readonly status: 'missing'; readonly path: RemotePath }
  | { readonly status: 'unreadable'; readonly path: RemotePath };

const FETCH_HEADER = 'CWF1';

/**
 * One script that returns metadata and bytes of every requested file.
 *
 * GNU hosts (a handful of processes per batch, whatever its size): per
 * group of requests sharing a size limit, `G\0`, the `find -printf` lstat
 * records, `H\0`, `sha256sum -z` records of the files over the limit, `T\0`
 * and a tar archive (`-b 1`, so it ends right after its two zero blocks) of
 * the others, symlinks dereferenced.
 *
 * Busybox (a few processes per file, in request order): `OK <n> <stat>\0` +
 * n bytes, `BIG <hash|-> <stat>\0`, `ENOENT\0` or `EACCES\0`.
 */
export function buildFetchScript(requests: readonly FetchRequest[], flavour: ScriptFlavour = 'auto'): ShellScript {
  const groups = new Map<number, RemotePath[]>();
  for (const r of requests) groups.set(r.maxBytes, [...(groups.get(r.maxBytes) ?? []), r.path]);
  const detect =
    flavour === 'auto'
      ? raw(`case $(tar --version 2>/dev/null) in *GNU*) find / -maxdepth 0 -printf '' >/dev/null 2>&1 && gnu=1;; esac`)
      : raw(flavour === 'gnu' ? 'gnu=1' : '');
  return sh`umask 077
gnu=
${detect}
group() {
  max=$1; shift
  printf 'G\\0'
  find -H "$@" -maxdepth 0 \\( -type f -o -type l \\) -printf '%y %s %T@ %i %m %U %G\\0%p\\0' 2>/dev/null
  printf 'H\\0'
  find -H "$@" -maxdepth 0 \\( -type f -o -type l \\) -size +"$max"c -print0 2>/dev/null | xargs -0 -r sha256sum -z -- 2>/dev/null
  printf 'T\\0'
  find -H "$@" -maxdepth 0 \\( -type f -o -type l \\) ! -size +"$max"c -print0 2>/dev/null |
    tar -c -h --hard-dereference -P -b 1 --null -T - -f - 2>/dev/null
}
fetch() {
  f=$1 max=$2
  if [ ! -e "$f" ]; then printf 'ENOENT\\0'; return; fi
  s=$(stat -c '${raw(STAT_FORMAT)}' "$f" 2>/dev/null) || { printf 'ENOENT\\0'; return; }
  if ! head -c $((max + 1)) < "$f" > "$t" 2>/dev/null; then
    if [ -e "$f" ]; then printf 'EACCES\\0'; else printf 'ENOENT\\0'; fi
    return
  fi
  n=$(($(wc -c < "$t")))
  if [ "$n" -gt "$max" ]; then
    h=$(sha256sum < "$f" 2>/dev/null) || h=-
    printf 'BIG %s %s\\0' "\${h%% *}" "$s"
    return
  fi
  printf 'OK %s %s\\0' "$n" "$s"
  cat "$t"
}
if [ -n "$gnu" ]; then
  printf '${raw(FETCH_HEADER)} gnu\\0'
${joinScripts([...groups].map(([max, paths]) => sh`  group ${max} ${paths}`))}
else
  d=\${XDG_RUNTIME_DIR:-/tmp}
  [ -d "$d" ] && [ -w "$d" ] || d=/tmp
  t=$(mktemp "$d/.confwatch-fetch.XXXXXX") || exit 70
  printf '${raw(FETCH_HEADER)} each\\0'
${joinScripts(requests.map((r) => sh`  fetch ${r.path} ${r.maxBytes}`))}
  rm -f "$t"
fi`;
}

/** Parses fetch output against the requests it was built from. Throws on truncated or malformed output. */
export function parseFetch(stdout: Buffer, requests: readonly FetchRequest[]): FetchResult[] {
  const reader = new RecordReader(stdout);
  const header = reader.next()?.toString('latin1');
  if (header === `${FETCH_HEADER} each`) return requests.map(({ path }) => parseEachRecord(reader, path));
  if (header !== `${FETCH_HEADER} gnu`) throw new Error(`unexpected fetch header ${JSON.stringify(header?.slice(0, 40) ?? null)}`);

  const stats = new Map<RemotePath, FileStat>();
  const hashes = new Map<RemotePath, string>();
  const contents = new Map<RemotePath, Buffer>();
  const groupCount = new Set(requests.map((r) => r.maxBytes)).size;
  for (let g = 0; g < groupCount; g++) {
    if (reader.next()?.toString('latin1') !== 'G') throw new Error('fetch output ended early');
    for (let rec = reader.next(); rec?.toString('latin1') !== 'H'; rec = reader.next()) {
      const pathBytes = reader.next();
      if (rec === undefined || pathBytes === undefined) throw new Error('fetch output ended early');
      const path = remotePathFromBytes(pathBytes);
      stats.set(path, parseMeta(path, rec.toString('latin1')));
    }
    for (let rec = reader.next(); rec?.toString('latin1') !== 'T'; rec = reader.next()) {
      if (rec === undefined) throw new Error('fetch output ended early');
      const [path, hash] = parseHashRecord(rec);
      hashes.set(path, hash);
    }
    for (const [path, content] of readTar(reader)) contents.set(path, content);
  }
  if (!reader.atEnd) throw new Error('unexpected bytes after the fetch output');
  return requests.map(({ path }): FetchResult => {
    const stat = stats.get(path);
    if (!stat) return { status: 'missing', path };
    const content = contents.get(path);
    if (content) return { status: 'ok', path, stat: { ...stat, size: content.length }, content };
    const hash = hashes.get(path);
    if (hash !== undefined) return { status: 'too-large', path, stat, hash };
    return { status: 'unreadable', path };
  });
}

function parseEachRecord(reader: RecordReader, path: RemotePath): FetchResult {
  const header = reader.next()?.toString('latin1');
  if (header === undefined) throw new Error('fetch output ended early');
  if (header === 'ENOENT') return { status: 'missing', path };
  if (header === 'EACCES') return { status: 'unreadable', path };
  const big = /^BIG (\S+) (.*)$/s.exec(header);
  if (big) {
    const hash = SHA256_HEX.test(big[1] as string) ? (big[1] as string) : null;
    return { status: 'too-large', path, stat: parseStatLine(path, big[2] as string), hash };
  }
  const ok = /^OK (\d+) (.*)$/s.exec(header);
  if (!ok) throw new Error(`malformed fetch header ${JSON.stringify(header.slice(0, 80))}`);
  const content = reader.take(Number(ok[1]));
  if (!content) throw new Error('fetch output ended inside a file');
  return { status: 'ok', path, stat: parseStatLine(path, ok[2] as string), content: Buffer.from(content) };
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
