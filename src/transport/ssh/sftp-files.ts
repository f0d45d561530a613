/**
 * File reads and atomic writes over the connection's persistent SFTP
 * channel: about a millisecond per request, no exec channel. ssh2 sends SFTP
 * paths as UTF-8 text, so callers route names that are not UTF-8 through
 * the shell instead (see ssh.transport.ts).
 */
import { randomBytes } from 'node:crypto';
import type { SFTPWrapper, Stats } from 'ssh2';
import { fileNotFound, filePermission, fileTooLarge, remoteCommandFailed } from '../file-errors.js';
import type { RemotePath } from '../remote-path.js';
import type { WriteTarget } from '../shell-file-ops.js';

const CHUNK = 32 * 1024;
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;

const call = <T>(fn: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> =>
  new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));

function translate(path: RemotePath, e: unknown, what: string): Error {
  const code = (e as { code?: number }).code;
  if (code === SFTP_NO_SUCH_FILE) return fileNotFound(path, e);
  if (code === SFTP_PERMISSION_DENIED) return filePermission(path, e);
  if (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('CW_ERR')) return e;
  return remoteCommandFailed(what, Buffer.from((e as Error).message ?? String(e)), null);
}

export async function sftpReadFile(sftp: SFTPWrapper, path: RemotePath, maxBytes: number): Promise<Buffer> {
  let handle: Buffer;
  try {
    handle = await call<Buffer>((cb) => sftp.open(path, 'r', cb));
  } catch (e) {
    throw translate(path, e, `opening ${path}`);
  }
  try {
    const { size } = await call<Stats>((cb) => sftp.fstat(handle, cb));
    if (size > maxBytes) throw fileTooLarge(path, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    // read until EOF, not just `size` bytes: the file may have grown
    for (;;) {
      const buffer = Buffer.alloc(CHUNK);
      const bytesRead = await new Promise<number>((resolve, reject) =>
        sftp.read(handle, buffer, 0, CHUNK, total, (err, n) => (err ? reject(err) : resolve(n))),
      ).catch((e: { code?: number }) => {
        // SFTP signals end of file as a status, not as a zero-length read
        if (e.code === 1) return 0;
        throw e;
      });
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw fileTooLarge(path, maxBytes);
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    throw translate(path, e, `reading ${path}`);
  } finally {
    await call<void>((cb) => sftp.close(handle, (err) => cb(err, undefined))).catch(() => undefined);
  }
}

/**
 * Writes a temp file beside the target, fsyncs it (fsync@openssh.com), sets
 * mode and owner, and renames it over the target (posix-rename@openssh.com;
 * returns false when the server lacks it so the caller can `mv` instead).
 */
export async function sftpWriteFileAtomic(sftp: SFTPWrapper, path: RemotePath, data: Buffer, target: WriteTarget): Promise<boolean> {
  const slash = path.lastIndexOf('/');
  const temp = `${path.slice(0, slash + 1)}.cw-write.${randomBytes(6).toString('hex')}`;
  try {
    const handle = await call<Buffer>((cb) => sftp.open(temp, 'wx', { mode: target.mode }, cb));
    try {
      for (let offset = 0; offset < data.length; offset += CHUNK) {
        const length = Math.min(CHUNK, data.length - offset);
        await call<void>((cb) => sftp.write(handle, data, offset, length, offset, (err) => cb(err, undefined)));
      }
      // the server applied its umask to the open() mode
      await call<void>((cb) => sftp.fchmod(handle, target.mode, (err) => cb(err, undefined)));
      if (target.uid !== undefined && target.gid !== undefined) {
        await call<void>((cb) => sftp.fchown(handle, target.uid!, target.gid!, (err) => cb(err, undefined)));
      }
      await fsyncIfOffered(sftp, handle);
    } finally {
      await call<void>((cb) => sftp.close(handle, (err) => cb(err, undefined)));
    }
    let renamed = false;
    await call<void>((cb) => {
      try {
        sftp.ext_openssh_rename(temp, path, (err) => cb(err, undefined));
        renamed = true;
      } catch {
        cb(undefined, undefined);
      }
    });
    if (!renamed) await call<void>((cb) => sftp.unlink(temp, (err) => cb(err, undefined)));
    return renamed;
  } catch (e) {
    await call<void>((cb) => sftp.unlink(temp, (err) => cb(err, undefined))).catch(() => undefined);
    throw translate(path, e, `writing ${path}`);
  }
}

async function fsyncIfOffered(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
  await call<void>((cb) => {
    try {
      sftp.ext_openssh_fsync(handle, (err) => cb(err, undefined));
    } catch {
      // fsync@openssh.com not offered: the rename still gives atomicity, not durability
      cb(undefined, undefined);
    }
  });
}
