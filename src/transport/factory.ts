/**
 * Builds the Transport for a device record: local, or SSH (through its jump
 * device when it has one). Secrets come through `deps`, never the record.
 */
import { ConfwatchError } from '../errors.js';
import { LocalTransport } from './local.transport.js';
import { SshTransport } from './ssh/ssh.transport.js';
import type { Transport } from './transport.js';

/**
 * What this layer needs to know of a device to reach it. Declared here
 * rather than taken from the store, which sits above transport; the store's
 * device records satisfy it as they are.
 */
export interface TransportTarget {
  readonly name: string;
  readonly transport: 'ssh' | 'local';
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Path of the private key on this machine; null = ssh-agent. */
  readonly identityFile: string | null;
  readonly hasPassphrase: boolean;
  /** Pinned host key fingerprint `SHA256:…`; null when not pinned yet. */
  readonly hostKey: string | null;
  /** Name of the device to jump through. */
  readonly jump: string | null;
}

export interface TransportDeps {
  /** The decrypted identity passphrase of a device (only called when it has one). */
  getPassphrase(device: TransportTarget): Promise<string | undefined> | string | undefined;
  /** The device named as another device's `jump`; throws CW_ERR_NOT_FOUND when unknown. */
  resolveJump(name: string): TransportTarget;
  /** Accept an unpinned host key (device add --trust-host-key). Default false. */
  readonly trustOnFirstUse?: boolean;
  /** Connect timeout. Default 10 s. */
  readonly connectTimeoutMs?: number;
}

export async function createTransport(device: TransportTarget, deps: TransportDeps, seen: ReadonlySet<string> = new Set()): Promise<Transport> {
  if (device.transport === 'local') return new LocalTransport();
  return createSshTransport(device, deps, seen);
}

async function createSshTransport(device: TransportTarget, deps: TransportDeps, seen: ReadonlySet<string>): Promise<SshTransport> {
  if (seen.has(device.name)) throw new ConfwatchError('CW_ERR_INPUT', `jump hosts form a loop through device ${device.name}`);
  const jumpRecord = device.jump ? deps.resolveJump(device.jump) : null;
  const jump = jumpRecord ? await createSshTransport(jumpRecord, deps, new Set([...seen, device.name])) : undefined;
  const passphrase = device.hasPassphrase ? await deps.getPassphrase(device) : undefined;
  return new SshTransport({
    host: device.host,
    port: device.port,
    user: device.user,
    identityFile: device.identityFile,
    ...(passphrase === undefined ? {} : { passphrase }),
    hostKey: { pinned: device.hostKey, trustOnFirstUse: deps.trustOnFirstUse === true && device.hostKey === null },
    ...(deps.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: deps.connectTimeoutMs }),
    ...(jump ? { jump, closeJump: true } : {}),
  });
}
