/**
 * Runs commands and file operations on this machine (`--local` devices):
 * child_process for commands, node:fs for files, a local persistent `sh`
 * for `run` (same wire format as over SSH), and `sudo -n` when asked.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { userInfo } from 'node:os';
import { ConfwatchError } from '../errors.js';
import { createLogger } from '../logging.js';
import { fileNotFound, filePermission, fileTooLarge, DEFAULT_MAX_FILE_BYTES } from './file-errors.js';
import { DEFAULT_TIMEOUT_MS, PersistentShell, type ShellProcess } from './persistent-shell.js';
import { argvToScript, isShellScript, type ShellScript } from './quote.js';
import { toRecordStream } from './record-stream.js';
import { assertCommandFits, MAX_ARGUMENT_BYTES } from './command-size.js';
import { SUDO_PRECHECK, sudoRefusalOf, sudoRefused } from './sudo.js';
import { remoteDirname, remoteJoin, remotePathToBytes, type RemotePath } from './remote-path.js';
import { fileTypeOfMode, resolveWriteTarget, shellReadFile, shellStat, shellWriteFileAtomic } from './shell-file-ops.js';
import type { Command, ExecOptions, ExecResult, FileStat, RecordStream, StreamOptions, Transport, TransportInfo, WriteOptions } from './transport.js';

const log = createLogger('transport.local');

/** Reads the script from fd 3 (argv cannot carry bytes that are not UTF-8), then runs it, via `sudo -n` when $1 is 1. */
const LAUNCHER = `s=$(cat <&3) || exit 126; exec 3<&-; if [ "$1" = 1 ]; then ${SUDO_PRECHECK}; exec sudo -n sh -c "$s"; fi; eval "$s"`;

/** Names this machine's user in errors (a uid without a passwd entry has no name). */
function localTarget(): string {
  try {
    return `${userInfo().username} on this machine`;
  } catch {
    return 'this machine';
  }
}

export const toScript = (command: Command): ShellScript => (isShellScript(command) ? command : argvToScript(command));

export class LocalTransport implements Transport {
  readonly info: TransportInfo = Object.freeze({ kind: 'local', target: 'local' });
  readonly #shell = new PersistentShell({
    start: async () => startLocalShell(),
    log,
    lostError: () => new ConfwatchError('CW_ERR_REMOTE_COMMAND', 'the local command shell ended unexpectedly'),
    sudoRefused: (stderr) => sudoRefused(localTarget(), stderr),
    target: localTarget(),
  });
  #closed = false;
  /** Commands and streams still running: close() ends them, as closing an SSH connection ends its channels. */
  readonly #children = new Set<ChildProcess>();

  #launch(script: ShellScript, sudo: boolean): ChildProcess {
    // the launcher hands the script to `sudo -n sh -c` as one argument
    if (sudo) assertCommandFits(localTarget(), script.bytes.length, MAX_ARGUMENT_BYTES);
    const child = launch(script, sudo);
    this.#children.add(child);
    child.once('close', () => this.#children.delete(child));
    return child;
  }

  async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    this.#assertOpen();
    const child = this.#launch(toScript(command), options.sudo === true);
    const result = await collect(child, options);
    const refusal = options.sudo ? sudoRefusalOf(result) : null;
    if (refusal !== null) throw sudoRefused(localTarget(), refusal);
    return result;
  }

  run(script: ShellScript, options: ExecOptions = {}): Promise<ExecResult> {
    this.#assertOpen();
    return this.#shell.run(script, options);
  }

  stream(command: Command, options: StreamOptions = {}): RecordStream {
    this.#assertOpen();
    const child = this.#launch(toScript(command), options.sudo === true);
    child.stdin?.end();
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
    return toRecordStream(
      {
        stdout: child.stdout!,
        stderr: child.stderr!,
        exited,
        stop: async () => {
          killGroup(child, 'SIGTERM');
          await exited.catch(() => undefined);
        },
      },
      options,
    );
  }

  async readFile(path: RemotePath, options: { maxBytes?: number; sudo?: boolean } = {}): Promise<Buffer> {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (options.sudo) return shellReadFile((s, o) => this.run(s, o), path, maxBytes, true);
    try {
      const handle = await fs.open(remotePathToBytes(path), constants.O_RDONLY);
      try {
        const { size } = await handle.stat();
        if (size > maxBytes) throw fileTooLarge(path, maxBytes);
        // The file may grow after fstat: read until EOF, never holding more than maxBytes + 1.
        const chunks: Buffer[] = [];
        let length = 0;
        let chunkSize = Math.min(maxBytes, size) + 1;
        for (;;) {
          const chunk = Buffer.alloc(Math.min(chunkSize, maxBytes + 1 - length));
          const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
          if (bytesRead === 0) break;
          chunks.push(chunk.subarray(0, bytesRead));
          length += bytesRead;
          if (length > maxBytes) throw fileTooLarge(path, maxBytes);
          chunkSize = 64 * 1024;
        }
        return Buffer.concat(chunks, length);
      } finally {
        await handle.close();
      }
    } catch (e) {
      throw translateFsError(path, e);
    }
  }

  async stat(path: RemotePath, options: { sudo?: boolean } = {}): Promise<FileStat | null> {
    if (options.sudo) return shellStat((s, o) => this.run(s, o), path, true);
    try {
      const st = await fs.lstat(remotePathToBytes(path));
      return { path, type: fileTypeOfMode(st.mode), size: st.size, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: Math.floor(st.mtimeMs), ino: st.ino };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw translateFsError(path, e);
    }
  }

  async writeFileAtomic(path: RemotePath, data: Buffer, options: WriteOptions = {}): Promise<void> {
    const existing = await this.stat(path, { sudo: options.sudo });
    const target = resolveWriteTarget(existing, options);
    if (options.sudo) {
      return shellWriteFileAtomic((s, o) => this.run(s, o), path, data, target, { mkdirs: options.mkdirs === true, sudo: true });
    }
    const dir = remotePathToBytes(remoteDirname(path));
    const temp = remotePathToBytes(remoteJoin(remoteDirname(path), `.cw-write.${randomBytes(6).toString('hex')}`));
    try {
      if (options.mkdirs) await fs.mkdir(dir, { recursive: true });
      const handle = await fs.open(temp, 'wx', target.mode);
      try {
        await handle.writeFile(data);
        await handle.chmod(target.mode); // open() applied the umask
        if (target.uid !== undefined || target.gid !== undefined) await handle.chown(target.uid ?? -1, target.gid ?? -1);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, remotePathToBytes(path));
      await syncDirectory(dir);
    } catch (e) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw translateFsError(path, e);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#shell.close();
    for (const child of this.#children) killGroup(child, 'SIGTERM');
  }

  #assertOpen(): void {
    if (this.#closed) throw new ConfwatchError('CW_ERR_INTERNAL', 'the local transport is closed');
  }
}

function startLocalShell(): ShellProcess {
  const child = spawn('sh', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    onEnd: (callback) => {
      child.once('close', callback);
      child.once('error', callback);
    },
    kill: () => child.kill('SIGKILL'),
  };
}

/** Starts `sh` in its own process group (so stop/timeout can kill everything it started) with the script on fd 3. */
function launch(script: ShellScript, sudo: boolean): ChildProcess {
  const child = spawn('sh', ['-c', LAUNCHER, 'sh', sudo ? '1' : '0'], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true });
  const scriptPipe = child.stdio[3] as NodeJS.WritableStream;
  scriptPipe.on('error', () => undefined);
  scriptPipe.end(script.bytes);
  child.stdin?.on('error', () => undefined);
  return child;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

function collect(child: ChildProcess, options: ExecOptions): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  child.stdin?.end(options.stdin === undefined ? undefined : Buffer.from(options.stdin));
  return new Promise<ExecResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new ConfwatchError('CW_ERR_TRANSPORT_TIMEOUT', `local command did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = () => {
      killGroup(child, 'SIGKILL');
      reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new ConfwatchError('CW_ERR_REMOTE_COMMAND', `cannot start sh: ${e.message}`, { cause: e }));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
}

async function syncDirectory(dir: Buffer): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function translateFsError(path: RemotePath, e: unknown): Error {
  if (e instanceof ConfwatchError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return fileNotFound(path, e);
  if (code === 'EACCES' || code === 'EPERM') return filePermission(path, e);
  return new ConfwatchError('CW_ERR_REMOTE_COMMAND', `file operation failed: ${(e as Error).message}`, { cause: e, details: { path } });
}
