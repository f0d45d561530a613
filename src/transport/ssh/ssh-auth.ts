/**
 * How a connection authenticates: the device's identity file with its
 * stored passphrase, or else the ssh-agent at SSH_AUTH_SOCK. Each local
 * cause of a failed login (unreadable file, encrypted key without a
 * passphrase, wrong passphrase, no agent) gets a message naming the file or
 * socket and what to do, not a bare "authentication failed".
 */
import { readFileSync } from 'node:fs';
import { ConfwatchError } from '../../errors.js';

export type SshAuth = { readonly privateKey: Buffer; readonly passphrase?: string } | { readonly agent: string };

export interface AuthSource {
  /** `user@host:port`, for messages. */
  readonly target: string;
  readonly identityFile?: string | null | undefined;
  readonly passphrase?: string | undefined;
  /** The agent socket; normally process.env.SSH_AUTH_SOCK. */
  readonly agentSocket: string | undefined;
}

/**
 * The credentials to offer; null when there are none (no identity file, no
 * agent). Then the connection is still made, as ssh does, so an unreachable
 * host is reported as such, and the server's refusal becomes noCredentials().
 */
export function resolveAuth(source: AuthSource): SshAuth | null {
  const { target, identityFile, passphrase, agentSocket } = source;
  if (!identityFile) return agentSocket ? { agent: agentSocket } : null;
  let bytes: Buffer;
  try {
    bytes = readFileSync(identityFile);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw authError(`authentication failed for ${target}: cannot read identity file ${identityFile} (${reason})`, e);
  }
  // an empty passphrase is no passphrase: ssh2 would otherwise try it on an encrypted key
  return passphrase ? { privateKey: bytes, passphrase } : { privateKey: bytes };
}

export const noCredentials = (target: string, cause?: unknown): ConfwatchError =>
  authError(
    `authentication failed for ${target}: no identity file and no ssh-agent (SSH_AUTH_SOCK is not set); give the device an --identity FILE, or run confwatch with SSH_AUTH_SOCK pointing to a running ssh-agent`,
    cause,
  );

/**
 * The error for an identity file ssh2 cannot use (it decrypts the key when
 * connecting, before dialling; decrypting it here too would double the
 * deliberately slow passphrase KDF on every handshake).
 */
export function keyError(target: string, file: string, e: Error): ConfwatchError {
  if (/no passphrase given/i.test(e.message)) {
    return authError(`authentication failed for ${target}: identity file ${file} is encrypted and no passphrase is stored; add the device again with --passphrase-stdin`, e);
  }
  if (/bad passphrase|decrypt/i.test(e.message)) {
    return authError(`authentication failed for ${target}: cannot decrypt identity file ${file}: wrong passphrase`, e);
  }
  return authError(`authentication failed for ${target}: identity file ${file} is not a usable private key (${e.message.replace(/^Cannot parse privateKey: /, '')})`, e);
}

const authError = (message: string, cause?: unknown): ConfwatchError => new ConfwatchError('CW_ERR_SSH_AUTH', message, { cause });
