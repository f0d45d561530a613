/**
 * Transport over one persistent ssh2 connection per host. Hot paths avoid
 * new exec channels (each one costs a remote login shell): `run`, `stat` and
 * the shell fallbacks go through one persistent `sh`, `readFile` and
 * `writeFileAtomic` through one persistent SFTP channel. `exec` is for rare
 * one-offs and `stream` for long-lived commands.
 */
import { PassThrough } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { ConfwatchError } from '../../errors.js';
import { createLogger } from '../../logging.js';
import { DEFAULT_MAX_FILE_BYTES } from '../file-errors.js';
import { DEFAULT_TIMEOUT_MS, PersistentShell, type ShellProcess } from '../persistent-shell.js';
import { argvToScript, isShellScript, type ShellScript } from '../quote.js';
import { toRecordStream } from '../record-stream.js';
import { isBinaryPath, type RemotePath } from '../remote-path.js';
import { resolveWriteTarget, shellReadFile, shellStat, shellWriteFileAtomic } from '../shell-file-ops.js';
import type { Command, ExecOptions, ExecResult, FileStat, RecordStream, StreamOptions, Transport, TransportInfo, WriteOptions } from '../transport.js';
import { execCommandLine, stoppableScript } from './remote-command.js';
import { sftpReadFile, sftpWriteFileAtomic } from './sftp-files.js';
import { type DisconnectListener, SshConnection, type SshEndpoint } from './ssh-connection.js';
import { disconnected } from './ssh-errors.js';
import { sudoRefusalOf, sudoRefused } from '../sudo.js';
import { assertCommandFits, MAX_ARGUMENT_BYTES } from '../command-size.js';

const log = createLogger('transport.ssh');

/** How long stop() waits for a stream's wrapper to exit before closing the channel itself. */
const STOP_GRACE_MS = 5_000;

export interface SshTransportOptions extends Omit<SshEndpoint, 'jump'> {
  /** Connect through this transport's connection (ProxyJump). */
  readonly jump?: SshTransport;
  /** Close the jump transport with this one (when nothing else shares it). Default false. */
  readonly closeJump?: boolean;
}

const toScript = (command: Command): ShellScript => (isShellScript(command) ? command : argvToScript(command));

export class SshTransport implements Transport {
  readonly info: TransportInfo;
  /** The underlying connection (shared with transports that jump through this host). */
  readonly connection: SshConnection;
  readonly #shell: PersistentShell;
  readonly #ownedJump: SshTransport | null;

  constructor(options: SshTransportOptions) {
    const { jump, closeJump, ...endpoint } = options;
    this.#ownedJump = closeJump && jump ? jump : null;
    this.connection = new SshConnection({ ...endpoint, ...(jump ? { jump: jump.connection } : {}) });
    this.info = Object.freeze({ kind: 'ssh', target: this.connection.target });
    this.#shell = new PersistentShell({
      start: () => this.#startShell(),
      log,
      lostError: () => disconnected(this.connection.target),
      sudoRefused: (stderr) => sudoRefused(this.connection.target, stderr),
      target: this.connection.target,
    });
  }

  /** Called each time an established connection drops (the next operation reconnects). */
  onDisconnect(listener: DisconnectListener): () => void {
    return this.connection.onDisconnect(listener);
  }

  /** The host key fingerprint presented on the last handshake. */
  get presentedHostKey(): string | null {
    return this.connection.presentedHostKey;
  }

  /** Connects now (instead of on first use); rejects with the CW_ERR_SSH_* error. */
  async connect(): Promise<void> {
    await this.connection.client();
  }

  async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    const channel = await this.connection.exec(this.#commandLine(toScript(command), options.sudo === true));
    const result = await collect(channel, options, this.connection.target);
    const refusal = options.sudo ? sudoRefusalOf(result) : null;
    if (refusal !== null) throw sudoRefused(this.connection.target, refusal);
    return result;
  }

  run(script: ShellScript, options: ExecOptions = {}): Promise<ExecResult> {
    return this.#shell.run(script, options);
  }

  stream(command: Command, options: StreamOptions = {}): RecordStream {
    let opening: Promise<ClientChannel>;
    try {
      opening = this.connection.exec(this.#commandLine(stoppableScript(toScript(command)), options.sudo === true));
    } catch (error) {
      // too large to send: the stream ends at once with the error
      opening = Promise.reject(error);
    }
    const stdout = new PassThroughChannel();
    let channel: ClientChannel | null = null;
    const exited = opening.then(
      (ch) =>
        new Promise<number | null>((resolve) => {
          channel = ch;
          let code: number | null = null;
          ch.once('exit', (c: number | null) => {
            code = typeof c === 'number' ? c : null;
          });
          ch.once('close', () => resolve(code));
          stdout.attach(ch);
        }),
    );
    return toRecordStream(
      {
        stdout: stdout.stdout,
        stderr: stdout.stderr,
        exited,
        stop: async () => {
          await opening.catch(() => undefined);
          const ch = channel as ClientChannel | null;
          if (!ch) return;
          // closing our side of stdin makes the remote wrapper kill the command
          ch.end();
          const grace = setTimeout(() => ch.close(), STOP_GRACE_MS);
          await exited.catch(() => undefined);
          clearTimeout(grace);
        },
      },
      options,
    );
  }

  async readFile(path: RemotePath, options: { maxBytes?: number; sudo?: boolean } = {}): Promise<Buffer> {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (options.sudo || isBinaryPath(path)) return shellReadFile(this.#run, path, maxBytes, options.sudo === true);
    return sftpReadFile(await this.connection.sftp(), path, maxBytes);
  }

  /** Through the shell: SFTP attributes carry no inode number, which polling needs. */
  stat(path: RemotePath, options: { sudo?: boolean } = {}): Promise<FileStat | null> {
    return shellStat(this.#run, path, options.sudo === true);
  }

  async writeFileAtomic(path: RemotePath, data: Buffer, options: WriteOptions = {}): Promise<void> {
    const sudo = options.sudo === true;
    const target = resolveWriteTarget(await this.stat(path, { sudo }), options);
    const viaShell = () => shellWriteFileAtomic(this.#run, path, data, target, { mkdirs: options.mkdirs === true, sudo });
    if (sudo || options.mkdirs || isBinaryPath(path)) return viaShell();
    const renamed = await sftpWriteFileAtomic(await this.connection.sftp(), path, data, target);
    if (!renamed) await viaShell();
  }

  async close(): Promise<void> {
    this.#shell.close();
    await this.connection.close();
    await this.#ownedJump?.close();
  }

  /** The exec request's command line; sshd passes it to the login shell as one argument. */
  #commandLine(script: ShellScript, sudo: boolean): string {
    const line = execCommandLine(script, sudo);
    assertCommandFits(this.connection.target, Buffer.byteLength(line), MAX_ARGUMENT_BYTES);
    return line;
  }

  readonly #run = (script: ShellScript, options?: ExecOptions): Promise<ExecResult> => this.run(script, options);

  async #startShell(): Promise<ShellProcess> {
    // plain `sh`, whatever the login shell: the prelude and requests are POSIX
    const channel = await this.connection.exec('exec sh -s');
    return {
      stdin: channel,
      stdout: channel,
      stderr: channel.stderr,
      onEnd: (callback) => channel.once('close', callback),
      kill: () => channel.close(),
    };
  }
}

/**
 * Hands a channel's stdout and stderr to toRecordStream before the channel
 * exists (stream() returns synchronously, the channel opens later).
 */
class PassThroughChannel {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();

  attach(channel: ClientChannel): void {
    channel.pipe(this.stdout);
    channel.stderr.pipe(this.stderr);
  }
}

function collect(channel: ClientChannel, options: ExecOptions, target: string): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  channel.on('data', (c: Buffer) => out.push(c));
  channel.stderr.on('data', (c: Buffer) => err.push(c));
  channel.end(options.stdin === undefined ? undefined : Buffer.from(options.stdin));
  return new Promise<ExecResult>((resolve, reject) => {
    let code: number | null = null;
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      channel.close();
      reject(new ConfwatchError('CW_ERR_TRANSPORT_TIMEOUT', `command on ${target} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = () => {
      settled = true;
      clearTimeout(timer);
      channel.close();
      reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    channel.once('exit', (c: number | null) => {
      code = typeof c === 'number' ? c : null;
    });
    channel.once('close', () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (!settled) resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
}
