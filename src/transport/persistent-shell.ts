/**
 * One long-lived `sh` that runs many short scripts (framed-shell.ts), so a
 * request costs a fork or two instead of a new SSH exec channel and login
 * shell. Requests are serialised. If the shell dies it is restarted on the
 * next request; a request that times out kills the shell (the only way to
 * stop a script that does not end) and the next request starts a new one.
 */
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { ConfwatchError } from '../errors.js';
import type { Logger } from '../logging.js';
import { assertCommandFits, MAX_RUN_REQUEST_BYTES } from './command-size.js';
import { driverPrelude, encodeRequest, type FramedResponse, ResponseParser } from './framed-shell.js';
import type { ShellScript } from './quote.js';
import { Semaphore } from './semaphore.js';
import type { ExecOptions, ExecResult } from './transport.js';

/** The process the shell runs in: a local child or an SSH exec channel. */
export interface ShellProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Registers the callback run once when the process or channel has ended. */
  onEnd(callback: () => void): void;
  /** Ends the process (or closes the channel) now. */
  kill(): void;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

interface Pending {
  readonly id: number;
  resolve(response: FramedResponse): void;
  reject(error: Error): void;
}

interface LiveShell {
  readonly process: ShellProcess;
  readonly parser: ResponseParser;
  pending: Pending | null;
  ended: boolean;
}

export class PersistentShell {
  readonly #start: () => Promise<ShellProcess>;
  readonly #log: Logger;
  /** Builds the error a pending request rejects with when the shell ends under it. */
  readonly #lostError: () => Error;
  /** Builds the error a sudo request rejects with when sudo itself refused (sudo's stderr given). */
  readonly #sudoRefused: (stderr: string) => Error;
  readonly #serial = new Semaphore(1);
  #shell: LiveShell | null = null;
  /** Bumped by close(), so a shell still starting when close() ran is ended at once. */
  #generation = 0;
  #nextId = 1;

  readonly #target: string;
  readonly #maxFrameBytes: number | undefined;

  constructor(options: {
    start: () => Promise<ShellProcess>;
    log: Logger;
    lostError: () => Error;
    sudoRefused: (stderr: string) => Error;
    /** Names the host in errors. */
    target: string;
    /** Largest answer accepted (framed-shell.ts DEFAULT_MAX_FRAME_BYTES). */
    maxFrameBytes?: number;
  }) {
    this.#start = options.start;
    this.#target = options.target;
    this.#maxFrameBytes = options.maxFrameBytes;
    this.#log = options.log;
    this.#lostError = options.lostError;
    this.#sudoRefused = options.sudoRefused;
  }

  /**
   * Runs a script in the shell; a non-zero exit is a result, not an error.
   * With `sudo`, a refusal by sudo itself rejects: the script never ran.
   */
  run(script: ShellScript, options: ExecOptions = {}): Promise<ExecResult> {
    return this.#serial.use(async () => {
      options.signal?.throwIfAborted();
      const stdin = options.stdin === undefined ? null : Buffer.from(options.stdin);
      assertCommandFits(this.#target, script.bytes.length + (stdin?.length ?? 0), MAX_RUN_REQUEST_BYTES);
      const shell = await this.#ensure();
      const id = this.#nextId++;
      const response = await this.#request(shell, id, encodeRequest(id, script, stdin, options.sudo === true), options);
      if (response.sudoRefused) throw this.#sudoRefused(response.stderr.toString('utf8'));
      return { code: response.code, stdout: response.stdout, stderr: response.stderr };
    });
  }

  /** Ends the shell; a later `run` starts a new one. */
  close(): void {
    this.#generation++;
    const shell = this.#shell;
    this.#shell = null;
    if (shell && !shell.ended) {
      shell.process.stdin.end();
      shell.process.kill();
    }
  }

  #request(shell: LiveShell, id: number, request: Buffer, options: ExecOptions): Promise<FramedResponse> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<FramedResponse>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        shell.pending = null;
      };
      const fail = (error: Error) => {
        finish();
        reject(error);
      };
      const timer = setTimeout(() => {
        this.#discard(shell);
        fail(new ConfwatchError('CW_ERR_TRANSPORT_TIMEOUT', `remote command did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = () => {
        this.#discard(shell);
        fail(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      shell.pending = {
        id,
        resolve: (r) => {
          finish();
          resolve(r);
        },
        reject: fail,
      };
      shell.process.stdin.write(request);
    });
  }

  /** Kills a shell whose current request will never be answered. */
  #discard(shell: LiveShell): void {
    if (this.#shell === shell) this.#shell = null;
    shell.ended = true;
    shell.process.kill();
  }

  async #ensure(): Promise<LiveShell> {
    if (this.#shell && !this.#shell.ended) return this.#shell;
    const token = randomBytes(12).toString('hex');
    const generation = this.#generation;
    const process = await this.#start();
    if (generation !== this.#generation) {
      // close() ran while this shell was starting: it must not outlive the close.
      process.stdin.end();
      process.kill();
      throw this.#lostError();
    }
    const parser = new ResponseParser(token, this.#maxFrameBytes === undefined ? {} : { maxFrameBytes: this.#maxFrameBytes });
    const shell: LiveShell = { process, parser, pending: null, ended: false };
    this.#shell = shell;
    const ready = new Promise<void>((resolve, reject) => {
      process.stdout.on('data', (chunk: Buffer) => {
        let responses: FramedResponse[];
        try {
          responses = shell.parser.push(chunk);
        } catch (e) {
          this.#log.error({ err: e }, 'persistent shell sent a malformed or oversized frame; restarting it');
          shell.pending?.reject(e instanceof ConfwatchError ? e : this.#lostError());
          this.#discard(shell);
          return;
        }
        if (shell.parser.ready) resolve();
        for (const r of responses) {
          if (shell.pending?.id === r.id) shell.pending.resolve(r);
        }
      });
      // the shell's own stderr (login banners, prelude failures) is drained and logged
      process.stderr.on('data', (chunk: Buffer) => this.#log.debug({ bytes: chunk.length }, 'persistent shell stderr'));
      process.onEnd(() => {
        shell.ended = true;
        if (this.#shell === shell) this.#shell = null;
        shell.pending?.reject(this.#lostError());
        reject(this.#lostError());
      });
    });
    process.stdin.on('error', () => undefined);
    process.stdin.write(driverPrelude(token));
    await ready;
    return shell;
  }
}
