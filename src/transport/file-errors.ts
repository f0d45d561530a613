/**
 * The ConfwatchErrors for file operations, shared by every way a transport
 * reads or writes a file (node:fs, SFTP, shell), so callers see one set.
 */
import { ConfwatchError } from '../errors.js';
import { displayPath, type RemotePath } from './remote-path.js';

export const fileNotFound = (path: RemotePath, cause?: unknown): ConfwatchError =>
  new ConfwatchError('CW_ERR_FILE_NOT_FOUND', `${displayPath(path)} does not exist`, { cause, details: { path } });

export const filePermission = (path: RemotePath, cause?: unknown): ConfwatchError =>
  new ConfwatchError('CW_ERR_FILE_PERMISSION', `permission denied on ${displayPath(path)}; use a user that may read it or --sudo`, {
    cause,
    details: { path },
  });

export const fileTooLarge = (path: RemotePath, maxBytes: number): ConfwatchError =>
  new ConfwatchError('CW_ERR_FILE_TOO_LARGE', `${displayPath(path)} is larger than ${maxBytes} bytes`, { details: { path, maxBytes } });

export const remoteCommandFailed = (what: string, stderr: Buffer, code: number | null): ConfwatchError =>
  new ConfwatchError('CW_ERR_REMOTE_COMMAND', `${what} failed (exit ${code}): ${stderr.toString('utf8').trim().slice(0, 500)}`, {
    details: { code },
  });

/** Default maximum for readFile (SPEC §4 maxFileBytes). */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
