/**
 * One ssh2 connection to one host, shared by all work for that host:
 * connects lazily, verifies the pinned host key, limits concurrent channels,
 * keeps the link alive, and reconnects cleanly on the next use after a drop
 * (telling its `onDisconnect` listeners, so the watch supervisor can react).
 */
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { ConfwatchError } from '../../errors.js';
import { createLogger } from '../../logging.js';
import { Semaphore } from '../semaphore.js';
import { type HostKeyPolicy, type HostKeyVerdict, judgeHostKey } from './host-key.js';
import { resolveAuth } from './ssh-auth.js';
import { disconnected, translateConnectError } from './ssh-errors.js';

const log = createLogger('transport.ssh');

/** OpenSSH's default MaxSessions is 10; stay below it. */
export const MAX_CHANNELS = 8;
/** Handshakes in flight across every host at once. */
const MAX_CONCURRENT_HANDSHAKES = 16;
const HANDSHAKE_JITTER_MS = 100;
const handshakes = new Semaphore(MAX_CONCURRENT_HANDSHAKES);
/** How long close() waits for the server to end the connection before dropping the socket. */
const CLOSE_GRACE_MS = 500;

export interface SshEndpoint {
  readonly host: string;
  /** Default 22. */
  readonly port?: number;
  readonly user: string;
  /** Private key file; when absent the ssh-agent at SSH_AUTH_SOCK is used. */
  readonly identityFile?: string | null;
  /** Passphrase of the identity file, if it is encrypted. */
  readonly passphrase?: string;
  readonly hostKey: HostKeyPolicy;
  /** Connect and handshake timeout. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Keepalive interval; the link is dead after 3 unanswered. Default 15 s. */
  readonly keepaliveIntervalMs?: number;
  /** Reach the host through this connection (ProxyJump). */
  readonly jump?: SshConnection;
}

export type DisconnectListener = (reason: string) => void;

export class SshConnection {
  readonly #endpoint: Readonly<SshEndpoint>;
  readonly target: string;
  readonly #channels = new Semaphore(MAX_CHANNELS);
  readonly #listeners = new Set<DisconnectListener>();
  #client: Client | null = null;
  #connecting: Promise<Client> | null = null;
  #sftp: Promise<SFTPWrapper> | null = null;
  #presentedHostKey: string | null = null;
  #closed = false;

  constructor(endpoint: SshEndpoint) {
    this.#endpoint = Object.freeze({ ...endpoint });
    this.target = `${endpoint.user}@${endpoint.host}:${endpoint.port ?? 22}`;
  }

  /** The fingerprint the host presented on the last handshake (learned on first use). */
  get presentedHostKey(): string | null {
    return this.#presentedHostKey;
  }

  /** True while a connection is up. */
  get connected(): boolean {
    return this.#client !== null;
  }

  /** Registers a listener called each time an established connection drops; returns its remover. */
  onDisconnect(listener: DisconnectListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The connected client, connecting (or reconnecting) first when needed. */
  async client(): Promise<Client> {
    if (this.#closed) throw new ConfwatchError('CW_ERR_SSH_DISCONNECTED', `the connection to ${this.target} is closed`);
    if (this.#client) return this.#client;
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  /** Opens a channel while holding one of the connection's channel slots; the slot is freed when the channel closes. */
  async withChannel<T extends { once(event: 'close', cb: () => void): unknown }>(open: (client: Client) => Promise<T>): Promise<T> {
    const release = await this.#channels.acquire();
    try {
      const channel = await open(await this.client());
      channel.once('close', release);
      return channel;
    } catch (e) {
      release();
      throw e;
    }
  }

  /** Opens an exec channel running `command` (a line for the remote login shell). */
  exec(command: string): Promise<ClientChannel> {
    return this.withChannel(
      (client) =>
        new Promise<ClientChannel>((resolve, reject) => {
          client.exec(command, (err, channel) => (err ? reject(disconnected(this.target, err)) : resolve(channel)));
        }),
    );
  }

  /** The connection's one persistent SFTP channel, reopened after a drop. */
  sftp(): Promise<SFTPWrapper> {
    this.#sftp ??= this.withChannel(
      (client) =>
        new Promise<SFTPWrapper>((resolve, reject) => {
          client.sftp((err, sftp) => (err ? reject(disconnected(this.target, err)) : resolve(sftp)));
        }),
    ).then(
      (sftp) => {
        sftp.once('close', () => {
          this.#sftp = null;
        });
        return sftp;
      },
      (e: unknown) => {
        this.#sftp = null;
        throw e;
      },
    );
    return this.#sftp;
  }

  /** A TCP stream to host:port through this connection (for jump hosts). */
  forwardOut(host: string, port: number): Promise<Duplex> {
    return this.withChannel(
      (client) =>
        new Promise<ClientChannel>((resolve, reject) => {
          client.forwardOut('127.0.0.1', 0, host, port, (err, channel) =>
            err ? reject(new ConfwatchError('CW_ERR_SSH_CONNECT', `cannot reach ${host}:${port} through ${this.target}: ${err.message}`, { cause: err })) : resolve(channel),
          );
        }),
    );
  }

  /** Ends the connection for good. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = null;
    this.#sftp = null;
    if (!client) return;
    await new Promise<void>((resolve) => {
      // a host that no longer answers would hold the close until TCP gives up
      const timer = setTimeout(() => client.destroy(), CLOSE_GRACE_MS);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
  }

  async #connect(): Promise<Client> {
    const release = await handshakes.acquire();
    try {
      // spread out reconnect storms (many devices dropping at once)
      if (handshakes.held > 1) await new Promise((r) => setTimeout(r, Math.random() * HANDSHAKE_JITTER_MS));
      return await this.#handshake();
    } finally {
      release();
    }
  }

  async #handshake(): Promise<Client> {
    const e = this.#endpoint;
    const connectTimeoutMs = e.connectTimeoutMs ?? 10_000;
    let refusedKey: HostKeyVerdict | null = null;
    const auth = resolveAuth({ target: this.target, identityFile: e.identityFile, passphrase: e.passphrase, agentSocket: process.env.SSH_AUTH_SOCK });
    const agent = auth && 'agent' in auth ? auth.agent : null;
    const identityFile = auth && 'privateKey' in auth ? (e.identityFile ?? null) : null;
    const context = () => ({ target: this.target, connectTimeoutMs, refusedKey, pinned: e.hostKey.pinned, agent, identityFile, noCredentials: auth === null });
    const config: ConnectConfig = {
      host: e.host,
      port: e.port ?? 22,
      username: e.user,
      readyTimeout: connectTimeoutMs,
      keepaliveInterval: e.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        const verdict = judgeHostKey(e.hostKey, key);
        this.#presentedHostKey = verdict.presented;
        if (!verdict.ok) refusedKey = verdict;
        return verdict.ok;
      },
      ...(auth ?? {}),
      ...(e.jump ? { sock: await e.jump.forwardOut(e.host, e.port ?? 22) } : {}),
    };
    const client = new Client();
    return await new Promise<Client>((resolve, reject) => {
      let ready = false;
      // ssh2's own timeout starts after the socket connects; this one covers the TCP connect too
      const timer = setTimeout(() => {
        client.destroy();
        reject(translateConnectError(Object.assign(new Error('timed out'), { level: 'client-timeout' }), context()));
      }, connectTimeoutMs + 1000);
      client.once('ready', () => {
        clearTimeout(timer);
        ready = true;
        this.#client = client;
        log.info({ target: this.target }, 'connected');
        resolve(client);
      });
      client.on('error', (err) => {
        clearTimeout(timer);
        if (!ready) reject(translateConnectError(err, context()));
        else log.warn({ target: this.target, err: err.message }, 'connection error');
      });
      client.once('close', () => {
        clearTimeout(timer);
        if (!ready) {
          reject(translateConnectError(new Error('connection closed during handshake'), context()));
          return;
        }
        if (this.#client === client) this.#client = null;
        this.#sftp = null;
        if (this.#closed) return;
        log.warn({ target: this.target }, 'disconnected');
        for (const listener of this.#listeners) listener('connection closed');
      });
      try {
        client.connect(config);
      } catch (err) {
        clearTimeout(timer);
        reject(translateConnectError(err, context()));
      }
    });
  }
}
