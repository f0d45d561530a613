/**
 * Remote file names are bytes, not text: anyone who can create a file on a
 * host chooses its name, and it need not be UTF-8. confwatch keeps every
 * path as a `RemotePath` string that round-trips those bytes exactly and can
 * be stored in any database text column:
 *
 * - a name whose bytes are valid UTF-8 is that string (absolute paths
 *   always start with `/`);
 * - any other name is `b64:` + the base64 of its bytes. No absolute path
 *   starts with `b64:`, so the two forms never collide.
 */

export type RemotePath = string;

const B64_PREFIX = 'b64:';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The RemotePath for the exact bytes of a remote name. */
export function remotePathFromBytes(bytes: Uint8Array): RemotePath {
  try {
    const text = utf8.decode(bytes);
    if (!text.startsWith(B64_PREFIX)) return text;
  } catch {
    // not UTF-8: fall through to the base64 form
  }
  return B64_PREFIX + Buffer.from(bytes).toString('base64');
}

/** The exact bytes of a RemotePath. */
export function remotePathToBytes(path: RemotePath): Buffer {
  if (path.startsWith(B64_PREFIX)) return Buffer.from(path.slice(B64_PREFIX.length), 'base64');
  return Buffer.from(path, 'utf8');
}

/** A human rendering (undecodable bytes become U+FFFD); never use it to address a file. */
export function displayPath(path: RemotePath): string {
  if (!path.startsWith(B64_PREFIX)) return path;
  return new TextDecoder('utf-8').decode(remotePathToBytes(path));
}

/** True when the path is not valid UTF-8 (and so is in the b64 form). */
export const isBinaryPath = (path: RemotePath): boolean => path.startsWith(B64_PREFIX);

/** Parent directory of a RemotePath, as a RemotePath. */
export function remoteDirname(path: RemotePath): RemotePath {
  const bytes = remotePathToBytes(path);
  const slash = bytes.lastIndexOf(0x2f);
  if (slash <= 0) return '/';
  return remotePathFromBytes(bytes.subarray(0, slash));
}

/** Last component of a RemotePath, as a RemotePath-style string (may be b64). */
export function remoteBasename(path: RemotePath): string {
  const bytes = remotePathToBytes(path);
  return remotePathFromBytes(bytes.subarray(bytes.lastIndexOf(0x2f) + 1));
}

/** Joins a directory and a relative name given as bytes or text. */
export function remoteJoin(dir: RemotePath, name: string | Uint8Array): RemotePath {
  const d = remotePathToBytes(dir);
  const n = typeof name === 'string' ? Buffer.from(name, 'utf8') : Buffer.from(name);
  const sep = d.length > 0 && d[d.length - 1] === 0x2f ? Buffer.alloc(0) : Buffer.from('/');
  return remotePathFromBytes(Buffer.concat([d, sep, n]));
}
