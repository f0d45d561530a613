/**
 * The seam between confwatch and a host. `LocalTransport` runs commands on
 * this machine through child_process; `SshTransport` runs the same commands
 * over one persistent ssh2 connection per host. Callers never know which.
 *
 * Paths are `RemotePath` strings (see remote-path.ts): exactly the bytes of
 * the remote name, with names that are not valid UTF-8 in an unambiguous
 * `b64:` form. Remote commands are `ShellScript`s built by quote.ts only.
 */
import type { RemotePath } from './remote-path.js';
import type { ShellScript } from './quote.js';

/** A command: an argv (each element quoted by the transport) or a prepared shell script. */
export type Command = readonly (string | Buffer)[] | ShellScript;

export interface ExecOptions {
  /** Kill the command and reject with CW_ERR_TRANSPORT_TIMEOUT after this long. Default 60 s. */
  readonly timeoutMs?: number;
  /** Bytes written to the command's stdin, which is then closed. Default: stdin closed at once. */
  readonly stdin?: Buffer | string;
  /** Run through `sudo -n` (device `--sudo`). Default false. */
  readonly sudo?: boolean;
  readonly signal?: AbortSignal;
}

export interface ExecResult {
  /** Exit status, or null when the command was killed by a signal. */
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

export interface StreamOptions {
  /** Record separator on stdout. Default 'newline'. */
  readonly separator?: 'newline' | 'nul';
  readonly sudo?: boolean;
  /** Called with each complete stderr line (stderr is always drained). */
  readonly onStderr?: (line: string) => void;
}

/**
 * A long-running remote command's stdout split into records. Iterating ends
 * when the command exits; `stop()` kills the remote process (not just the
 * channel) and resolves once it is gone.
 */
export interface RecordStream extends AsyncIterable<Buffer> {
  stop(): Promise<void>;
  /** Resolves with the exit code (null if killed) once the command has ended. */
  readonly exited: Promise<number | null>;
}

export interface FileStat {
  readonly path: RemotePath;
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  readonly size: number;
  /** Permission bits only (e.g. 0o644). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Modification time in milliseconds since the epoch. */
  readonly mtimeMs: number;
  readonly ino: number;
}

export interface WriteOptions {
  /** Permission bits of the new file. Default: those of the file being replaced, else 0o644. */
  readonly mode?: number;
  /** Owner of the new file. Default: that of the file being replaced (needs root or sudo to change). */
  readonly uid?: number;
  readonly gid?: number;
  /** Create missing parent directories. Default false. */
  readonly mkdirs?: boolean;
  readonly sudo?: boolean;
}

/**
 * What the transport knows the host can do. Flags state their default for
 * hosts that have not been probed yet.
 */
export interface TransportInfo {
  readonly kind: 'local' | 'ssh';
  /** `user@host:port` for ssh, `local` for the local transport. */
  readonly target: string;
}

export interface Transport {
  readonly info: TransportInfo;

  /**
   * Runs a one-off command. Over ssh this opens an exec channel (and the
   * remote login shell, 140–190 ms): use `run` on hot paths instead.
   * Rejects only on transport failure or timeout; a non-zero exit is a result.
   */
  exec(command: Command, options?: ExecOptions): Promise<ExecResult>;

  /**
   * Runs a short script through the connection's persistent `sh` (about 1 ms
   * per request over ssh). Same contract as `exec`. Scripts must not read
   * stdin unless `stdin` is given; they run in a subshell so `cd`/`exit` do
   * not leak between requests.
   */
  run(script: ShellScript, options?: ExecOptions): Promise<ExecResult>;

  /** Starts a long-running command whose stdout is a stream of records. */
  stream(command: Command, options?: StreamOptions): RecordStream;

  /**
   * Reads a whole file, byte-exact. Rejects with CW_ERR_FILE_NOT_FOUND,
   * CW_ERR_FILE_PERMISSION or CW_ERR_FILE_TOO_LARGE (when over maxBytes).
   */
  readFile(path: RemotePath, options?: { maxBytes?: number; sudo?: boolean }): Promise<Buffer>;

  /** lstat of a path; null when it does not exist. */
  stat(path: RemotePath, options?: { sudo?: boolean }): Promise<FileStat | null>;

  /**
   * Replaces a file atomically: temp file in the same directory, fsync,
   * rename. Readers see the old or the new content, never a mix.
   */
  writeFileAtomic(path: RemotePath, data: Buffer, options?: WriteOptions): Promise<void>;

  /** Closes every channel and the connection. Idempotent. */
  close(): Promise<void>;
}
