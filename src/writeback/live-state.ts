/**
 * What a set of files looks like on a host right now — sha256 and lstat of
 * each — read the way capture reads them (detect/poll-script.ts's fetch
 * script, bytes left out): a link is a link (its hash is linkHash of its
 * target) unless its target is itself watched, when that target is read by
 * its own name; nothing is read through a directory link below a watched
 * root; hashing runs under `timeout`. A chunk of paths costs a handful of
 * processes on GNU hosts whatever its size, so thousands of files are one
 * script per chunk. Used by drift checks, by batch prepare (the live
 * hashes), verify, outcome and recovery.
 */
import { sha256Hex } from '../hash.js';
import { buildFetchScript, type FetchRequest, type FetchResult, parseFetch } from '../detect/poll-script.js';
import { linkHash, resolveLinkTarget, rootOf } from '../detect/symlink.js';
import { ConfwatchError } from '../errors.js';
import { MAX_ARGUMENT_BYTES } from '../transport/command-size.js';
import { quote } from '../transport/quote.js';
import { displayPath, type RemotePath } from '../transport/remote-path.js';
import type { FileStat, Transport } from '../transport/transport.js';
import type { WatchSet } from '../devices/watch-set.js';
import { asWriter, type Writer } from './target-plan.js';

export type LiveFile =
  /** `link`: the path is a symbolic link recorded as one (hash = linkHash of `link`, stat = the link's lstat). */
  | { readonly kind: 'present'; readonly hash: string; readonly stat: FileStat; readonly link?: RemotePath }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable' };

/** Which names are watched, for reading links through and for the roots no link may hide below. */
export interface ObserveScope {
  readonly roots: readonly RemotePath[];
  isWatched(path: RemotePath): boolean;
}

export const scopeOf = (watchSet: Pick<WatchSet, 'roots' | 'match'>): ObserveScope => ({
  roots: watchSet.roots(),
  isWatched: (path) => watchSet.match(path) !== null,
});

export interface ObserveOptions {
  readonly sudo?: boolean;
  /** Without one, every ancestor of a path is checked and no link is read through. */
  readonly scope?: ObserveScope;
  /**
   * Per path (input order), the user to read it as: a path in a directory
   * a non-root user controls is read as that user, so whatever they swap
   * in, root reads nothing for them. Default: the login user (or root with sudo).
   */
  readonly writers?: readonly (Writer | null)[];
}

/**
 * Script bytes of one chunk's paths. Read as a writer, the script travels
 * as one argument (`setpriv … sh -c`), so it stays under that limit; else
 * it goes on stdin, and the bound is what `find` may take as its argument
 * list (ARG_MAX is 2 MiB on common hosts; a chunk names each path in it
 * once, in half its bytes).
 */
export const LIVE_CHUNK_BYTES = { asWriter: MAX_ARGUMENT_BYTES - 16 * 1024, onStdin: 1024 * 1024 } as const;

/** The live state of each path, in input order. Rejects only on transport failure. */
export async function observeFiles(transport: Pick<Transport, 'run'>, paths: readonly RemotePath[], options: ObserveOptions = {}): Promise<LiveFile[]> {
  const out: LiveFile[] = new Array(paths.length);
  const byWriter = new Map<string, { writer: Writer | null; indexes: number[] }>();
  for (const [i] of paths.entries()) {
    const writer = options.writers?.[i] ?? null;
    const key = writer ? `${writer.uid}:${writer.gid}` : '';
    const group = byWriter.get(key) ?? { writer, indexes: [] };
    group.indexes.push(i);
    byWriter.set(key, group);
  }
  for (const { writer, indexes } of byWriter.values()) {
    const lives = await observeAs(transport, indexes.map((i) => paths[i]!), writer, options);
    indexes.forEach((index, j) => {
      out[index] = lives[j]!;
    });
  }
  return out;
}

async function observeAs(transport: Pick<Transport, 'run'>, paths: readonly RemotePath[], writer: Writer | null, options: ObserveOptions): Promise<LiveFile[]> {
  const { scope } = options;
  const fetched = await hashes(transport, paths, writer, options);
  // files caught mid-change get one more look
  const unstable = fetched.filter((f) => f.status === 'unstable').map((f) => f.path);
  const again = unstable.length > 0 ? new Map((await hashes(transport, unstable, writer, options)).map((f) => [f.path, f])) : new Map<RemotePath, FetchResult>();
  const settled = fetched.map((f) => again.get(f.path) ?? f);
  const through = new Map<RemotePath, RemotePath>();
  for (const f of settled) {
    if (f.status !== 'link' || !scope) continue;
    const resolved = resolveLinkTarget(f.path, f.target);
    if (resolved !== f.path && scope.isWatched(resolved)) through.set(f.path, resolved);
  }
  const targets =
    through.size === 0 ? new Map<RemotePath, FetchResult>() : new Map((await hashes(transport, [...new Set(through.values())], writer, options)).map((f) => [f.path, f]));
  return settled.map((f) => {
    const target = targets.get(through.get(f.path) ?? '');
    // as capture: read through only to a regular file reached by its own name
    return toLive(target && (target.status === 'ok' || target.status === 'too-large') ? target : f);
  });
}

function toLive(f: FetchResult): LiveFile {
  switch (f.status) {
    case 'ok':
      return { kind: 'present', hash: sha256Hex(f.content), stat: f.stat };
    case 'too-large':
      return f.hash === null ? { kind: 'unreadable' } : { kind: 'present', hash: f.hash, stat: f.stat };
    case 'link':
      return { kind: 'present', hash: linkHash(f.target), stat: f.stat, link: f.target };
    case 'missing':
      return { kind: 'missing' };
    default:
      return { kind: 'unreadable' };
  }
}

/** Hash and lstat of each path (no bytes: the limit is 0), one script per chunk. */
async function hashes(transport: Pick<Transport, 'run'>, paths: readonly RemotePath[], writer: Writer | null, options: ObserveOptions): Promise<FetchResult[]> {
  const requests = paths.map((path): FetchRequest => ({ path, maxBytes: 0, root: rootOf(path, options.scope?.roots ?? []) ?? '/' }));
  const results: FetchResult[] = [];
  for (const chunk of chunks(requests, writer ? LIVE_CHUNK_BYTES.asWriter : LIVE_CHUNK_BYTES.onStdin)) {
    const script = asWriter(writer, buildFetchScript(chunk));
    const result = await transport.run(script, { ...(options.sudo ? { sudo: true } : {}) });
    try {
      if (result.code !== 0) throw new Error(`exit ${result.code}`);
      results.push(...parseFetch(result.stdout, chunk));
    } catch (error) {
      throw new ConfwatchError(
        'CW_ERR_REMOTE_COMMAND',
        `reading the state of ${chunk.length} files failed (${(error as Error).message}): ${result.stderr.toString('utf8').trim().slice(0, 300)}`,
      );
    }
  }
  return results;
}

function* chunks(requests: readonly FetchRequest[], limit: number): Generator<FetchRequest[]> {
  let chunk: FetchRequest[] = [];
  let bytes = 0;
  for (const r of requests) {
    // the fetch script names each path and its root twice: once per tool set it may find
    const cost = 2 * (quote(r.path).length + quote(r.root ?? '').length) + 32;
    if (chunk.length > 0 && bytes + cost > limit) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(r);
    bytes += cost;
  }
  if (chunk.length > 0) yield chunk;
}

/** The content hash of a live file, null when it does not exist (unreadable is not a hash). */
export const liveHash = (file: LiveFile): string | null => (file.kind === 'present' ? file.hash : null);

/** The scope of a device's watched files, from its watch set. */
export const scopeFor = async (deps: { watchSetOf(device: string): Promise<WatchSet> }, device: string): Promise<ObserveScope> =>
  scopeOf(await deps.watchSetOf(device));

/**
 * The bytes of a live file read as capture reads them (see the module
 * comment; a watched link's target is read by its own name), up to
 * `maxBytes`. Rejects CW_ERR_FILE_PERMISSION for a link that is not read
 * through and for a file that cannot be read, CW_ERR_FILE_TOO_LARGE past
 * the limit, CW_ERR_FILE_NOT_FOUND for one that is gone (or lies behind a
 * directory link), CW_ERR_REMOTE_COMMAND for one that kept changing.
 */
export async function readLive(
  transport: Pick<Transport, 'run'>,
  path: RemotePath,
  maxBytes: number,
  options: { sudo?: boolean; scope: ObserveScope; writer?: Writer | null },
): Promise<Buffer> {
  const fetchOne = async (p: RemotePath): Promise<FetchResult> => {
    const request: FetchRequest = { path: p, maxBytes, root: rootOf(p, options.scope.roots) ?? '/' };
    const result = await transport.run(asWriter(options.writer ?? null, buildFetchScript([request])), { ...(options.sudo ? { sudo: true } : {}) });
    if (result.code !== 0) {
      throw new ConfwatchError('CW_ERR_REMOTE_COMMAND', `reading ${displayPath(p)} failed (exit ${result.code}): ${result.stderr.toString('utf8').trim().slice(0, 300)}`);
    }
    return parseFetch(result.stdout, [request])[0]!;
  };
  let f = await fetchOne(path);
  if (f.status === 'link') {
    const resolved = resolveLinkTarget(path, f.target);
    if (resolved !== path && options.scope.isWatched(resolved)) {
      const target = await fetchOne(resolved);
      if (target.status !== 'link') f = target;
    }
  }
  const shown = displayPath(path);
  switch (f.status) {
    case 'ok':
      return f.content;
    case 'link':
      throw new ConfwatchError('CW_ERR_FILE_PERMISSION', `${shown} is a symbolic link to ${displayPath(f.target)}, which is not watched (or not reachable without another link); confwatch records it as a link and does not read through it`);
    case 'too-large':
      throw new ConfwatchError('CW_ERR_FILE_TOO_LARGE', `${shown} is larger than ${maxBytes} bytes, too large to read back`);
    case 'unreadable':
      throw new ConfwatchError('CW_ERR_FILE_PERMISSION', `${shown} cannot be read; use a user that may read it or --sudo`);
    case 'unstable':
      throw new ConfwatchError('CW_ERR_REMOTE_COMMAND', `${shown} kept changing while it was read; try again`);
    default:
      throw new ConfwatchError('CW_ERR_FILE_NOT_FOUND', `${shown} does not exist (or lies behind a directory link, which confwatch does not read through)`);
  }
}
