/**
 * Moves seen by a scan. A scan sees only the end state: a path gone and a
 * path new. inotify links those through the rename cookie; a scan has to
 * infer the link, and does so only on strong evidence:
 *
 * - the new path holds the inode the vanished file had (a rename keeps the
 *   inode; a copy, or an editor's write-and-rename, makes a new one);
 * - that inode is unambiguous: exactly one listed file carries it and exactly
 *   one live tracked file had it (hard links and inode numbers repeated on
 *   another filesystem of the watch set stay delete + create);
 * - the content is the same: the listing's hash equals the tracked hash, or,
 *   where the listing did not hash the file, its size and mtime equal the
 *   tracked ones (a rename changes neither) and the bytes, once read, hash
 *   the same (`confirmsMove`).
 *
 * Anything short of that is recorded as a delete plus a create, as before:
 * a wrong link is worse than a missing one. Pure.
 */
import type { TrackedFileRecord } from '../store/records.js';
import type { RemotePath } from '../transport/remote-path.js';
import type { ObservedFile } from './capture.js';
import { sha256Hex } from '../hash.js';
import type { ListingEntry } from './poll-script.js';

/** What a scan knows of a file it lists. */
export type ListedFile = Pick<ListingEntry, 'path' | 'ino' | 'size' | 'mtimeMs' | 'hash'>;

/** What the store knows of a tracked file. */
export type KnownFile = Pick<TrackedFileRecord, 'path' | 'ino' | 'size' | 'mtimeMs' | 'contentHash' | 'deleted'>;

export interface ScanMoveInput {
  /** Every file the scan listed. */
  readonly listed: readonly ListedFile[];
  /** Every tracked file of the device (any scope), live or not. */
  readonly tracked: readonly KnownFile[];
  /** The live tracked files of the scan's scope that the listing no longer has. */
  readonly vanished: readonly KnownFile[];
}

/**
 * Pairs vanished files with the listed files they were renamed to, keyed by
 * the new path. A listed file is a candidate when its path was not tracked
 * (or only as deleted), or was tracked with another inode (renamed over).
 */
export function pairScanMoves(input: ScanMoveInput): Map<RemotePath, KnownFile> {
  const moves = new Map<RemotePath, KnownFile>();
  // the common poll: nothing vanished, so no index over a large tree is built
  if (input.vanished.length === 0) return moves;
  const listedByIno = groupByIno(input.listed);
  const trackedByIno = groupByIno(input.tracked.filter((t) => !t.deleted));
  const trackedByPath = new Map(input.tracked.map((t) => [t.path, t]));
  for (const from of input.vanished) {
    if (from.deleted || from.ino === null || from.contentHash === null) continue;
    const sharing = listedByIno.get(from.ino);
    const to = sharing?.length === 1 ? sharing[0] : undefined;
    if (!to || trackedByIno.get(from.ino)?.length !== 1) continue;
    const atTarget = trackedByPath.get(to.path);
    const appeared = !atTarget || atTarget.deleted || atTarget.ino !== to.ino;
    if (appeared && sameContent(to, from)) moves.set(to.path, from);
  }
  return moves;
}

/** The listing's evidence that the bytes did not change. */
function sameContent(to: ListedFile, from: KnownFile): boolean {
  if (to.hash !== null) return to.hash === from.contentHash;
  return to.size === from.size && to.mtimeMs === from.mtimeMs;
}

/** True when the bytes read at the new path hash as the vanished file did. */
export function confirmsMove(observed: ObservedFile | undefined, from: Pick<KnownFile, 'contentHash'>): boolean {
  if (!observed || from.contentHash === null) return false;
  if (observed.kind === 'content') return sha256Hex(observed.content) === from.contentHash;
  if (observed.kind === 'hash-only') return observed.hash === from.contentHash;
  return false;
}

function groupByIno<T extends { readonly ino: number | null }>(files: readonly T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const file of files) {
    if (file.ino === null) continue;
    const group = groups.get(file.ino);
    if (group) group.push(file);
    else groups.set(file.ino, [file]);
  }
  return groups;
}
