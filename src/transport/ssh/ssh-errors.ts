/**
 * Translates ssh2 and socket errors into ConfwatchErrors at the seam; the
 * original stays as `cause` and never leaves transport/.
 */
import { ConfwatchError } from '../../errors.js';
import type { HostKeyVerdict } from './host-key.js';
import { keyError, noCredentials } from './ssh-auth.js';

export interface ConnectContext {
  /** `user@host:port`. */
  readonly target: string;
  readonly connectTimeoutMs: number;
  /** The host-key verdict, when the handshake got that far and refused the key. */
  readonly refusedKey: HostKeyVerdict | null;
  /** The pinned fingerprint, to name it in a mismatch. */
  readonly pinned: string | null;
  /** The ssh-agent socket, when authenticating through the agent. */
  readonly agent?: string | null;
  /** The identity file, when authenticating with one. */
  readonly identityFile?: string | null;
  /** True when there was neither an identity file nor an agent to offer. */
  readonly noCredentials?: boolean;
}

export function translateConnectError(e: unknown, ctx: ConnectContext): ConfwatchError {
  if (e instanceof ConfwatchError) return e;
  const verdict = ctx.refusedKey;
  if (verdict && !verdict.ok) {
    if (verdict.reason === 'mismatch') {
      return new ConfwatchError(
        'CW_ERR_SSH_HOSTKEY_MISMATCH',
        `host key of ${ctx.target} changed: expected ${ctx.pinned}, presented ${verdict.presented}; refusing to connect`,
        { cause: e, details: { expected: ctx.pinned, presented: verdict.presented } },
      );
    }
    return new ConfwatchError(
      'CW_ERR_SSH_HOSTKEY_UNKNOWN',
      `no host key pinned for ${ctx.target} (it presented ${verdict.presented}); pass --host-key ${verdict.presented} or --trust-host-key`,
      { cause: e, details: { presented: verdict.presented } },
    );
  }
  const err = e as { level?: string; code?: string; message?: string };
  if (ctx.identityFile && /Cannot parse privateKey|does not contain a \(valid\) private key/.test(err.message ?? '')) {
    return keyError(ctx.target, ctx.identityFile, e as Error);
  }
  if (err.level === 'agent') {
    return new ConfwatchError('CW_ERR_SSH_AUTH', `authentication failed for ${ctx.target}: cannot use the ssh-agent at ${ctx.agent ?? 'SSH_AUTH_SOCK'} (${err.message ?? 'agent error'})`, { cause: e });
  }
  if (err.level === 'client-authentication' && ctx.noCredentials) return noCredentials(ctx.target, e);
  if (err.level === 'client-authentication' || /passphrase|private key|Cannot parse privateKey/i.test(err.message ?? '')) {
    const hint = ctx.agent ? `: the ssh-agent at ${ctx.agent} offered no key the host accepts` : '';
    return new ConfwatchError('CW_ERR_SSH_AUTH', `authentication failed for ${ctx.target}${hint}`, { cause: e });
  }
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    return new ConfwatchError('CW_ERR_SSH_CONNECT', `cannot connect to ${ctx.target}: timed out after ${ctx.connectTimeoutMs} ms`, { cause: e });
  }
  const reason = err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'EHOSTUNREACH' ? 'host unreachable' : (err.code ?? err.message ?? 'unknown error');
  return new ConfwatchError('CW_ERR_SSH_CONNECT', `cannot connect to ${ctx.target}: ${reason}`, { cause: e });
}

/** The error for work cut off by a dropped connection. */
export const disconnected = (target: string, cause?: unknown): ConfwatchError =>
  new ConfwatchError('CW_ERR_SSH_DISCONNECTED', `the SSH connection to ${target} dropped; it reconnects on the next operation`, { cause });
