/**
 * How a symlink in a watched tree is recorded. A link is recorded as a link
 * (its target, with a `metadata` version when the target changes) and read
 * through only when its target is itself inside the device's watched globs,
 * so a user who can write a watched directory cannot make root read
 * `/etc/shadow` (`.env -> /etc/shadow`) or stall on `x.conf -> /dev/zero`.
 * Pure: no I/O.
 */
import { type RemotePath, remoteDirname, remotePathFromBytes, remotePathToBytes } from '../transport/remote-path.js';
import { sha256Hex } from '../hash.js';

/**
 * The absolute path a link names, resolved lexically against the link's
 * directory (`.` and `..` folded; `..` never climbs above `/`). Only ever
 * used to decide whether the target is watched and then read by that name,
 * never through the link.
 */
export function resolveLinkTarget(link: RemotePath, target: RemotePath): RemotePath {
  const targetBytes = remotePathToBytes(target);
  const base = targetBytes[0] === 0x2f ? Buffer.alloc(0) : remotePathToBytes(link);
  const parts: Buffer[] = [];
  const push = (bytes: Buffer) => {
    for (const part of split(bytes)) {
      if (part.length === 0 || (part.length === 1 && part[0] === 0x2e)) continue;
      if (part.length === 2 && part[0] === 0x2e && part[1] === 0x2e) parts.pop();
      else parts.push(part);
    }
  };
  // the link's own name is not part of its directory
  if (base.length > 0) push(base.subarray(0, Math.max(0, base.lastIndexOf(0x2f))));
  push(targetBytes);
  return parts.length === 0 ? '/' : remotePathFromBytes(Buffer.concat(parts.flatMap((p) => [Buffer.from('/'), p])));
}

function split(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x2f) {
      out.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** The content hash recorded for a link that is not read through: it changes exactly when the target does. */
export const linkHash = (target: RemotePath): string => sha256Hex(Buffer.concat([Buffer.from('symlink\0'), remotePathToBytes(target)]));

/**
 * The watched root `path` lies under (the longest of `roots` that is a
 * directory above it, comparing bytes), or undefined. Reads by a watched
 * name go through no link below this root (FetchRequest.root).
 */
export function rootOf(path: RemotePath, roots: readonly RemotePath[]): RemotePath | undefined {
  const p = remotePathToBytes(path);
  let best: Buffer | undefined;
  let found: RemotePath | undefined;
  for (const root of roots) {
    const r = remotePathToBytes(root);
    const under = r.length === 1 && r[0] === 0x2f ? p[0] === 0x2f && p.length > 1 : p.length > r.length && p.subarray(0, r.length).equals(r) && p[r.length] === 0x2f;
    if (under && (!best || r.length > best.length)) {
      best = r;
      found = root;
    }
  }
  return found;
}

/** The directories strictly below `root` down to `path`'s parent, outermost first: where a planted link would redirect a read. */
export function dirsBelow(root: RemotePath, path: RemotePath): RemotePath[] {
  const out: RemotePath[] = [];
  for (let dir = remoteDirname(path); dir !== root && dir !== '/' && rootOf(dir, [root]) !== undefined; dir = remoteDirname(dir)) out.unshift(dir);
  return out;
}
