/**
 * Stores and devices for benchmarks and integration tests: a temp home with
 * a master key and its SQLite store (or the database the environment
 * names), SSH devices that log in to a loopback sshd, and the profiles they
 * watch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMasterKeyFile } from '../../src/store/keyring.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { openStore } from '../../src/store/open-store.js';
import type { DeviceRecord, ProfileRecord } from '../../src/store/records.js';
import type { NewDevice } from '../../src/store/snapshot-store.js';
import { resolveProfiles } from '../../src/devices/profiles.js';
import type { RunningSshd } from './sshd.js';

/** Creates the master key in `home` and opens the store there (SQLite unless the environment says otherwise). */
export async function openStoreWithKey(home: string): Promise<KyselyStore> {
  createMasterKeyFile(home);
  return await openStore({ home });
}

export interface TempStore {
  readonly home: string;
  readonly store: KyselyStore;
  /** Closes the store and removes the home. */
  close(): Promise<void>;
}

/** A fresh home in a temp directory (named `<prefix>XXXXXX`) with a master key, and the store opened in it. */
export async function openTempStore(prefix: string): Promise<TempStore> {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const store = await openStoreWithKey(home);
  return {
    home,
    store,
    async close() {
      await store.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export type Endpoint = Pick<DeviceRecord, 'transport' | 'host' | 'port' | 'user' | 'identityFile' | 'hostKey'>;

/** How a device reaches `sshd`: its address, the client key and the pinned host key; `user` overrides the login. */
export function sshEndpoint(sshd: RunningSshd, user: string = sshd.user): Endpoint {
  return { transport: 'ssh', host: sshd.host, port: sshd.port, user, identityFile: sshd.clientKeyPath, hostKey: sshd.hostKeyFingerprint };
}

/** A realtime SSH device named `name` on `sshd`, without sudo, jump host or tags; `overrides` replace any field. */
export function sshDevice(name: string, sshd: RunningSshd, overrides: Partial<NewDevice> = {}): NewDevice {
  return { name, ...sshEndpoint(sshd), mode: 'realtime', pollIntervalSec: null, sudo: false, jump: null, tags: [], ...overrides };
}

/** The profiles of a device that watches exactly `globs` (no named profiles, no excludes). */
export function watching(device: string, ...globs: string[]): ProfileRecord[] {
  return resolveProfiles(device, { profiles: [], watch: globs, exclude: [] });
}

/** A `custom` profile over `paths` with the product's defaults (5-minute poll, 1 MiB limit, no commands); `extra` replaces any field. */
export function customProfile(device: string, paths: readonly string[], extra: Partial<ProfileRecord> = {}): ProfileRecord {
  return {
    device,
    name: 'custom',
    configType: null,
    paths: [...paths],
    exclude: [],
    pollIntervalSec: 300,
    maxFileBytes: 1024 * 1024,
    validateCommand: null,
    reloadCommand: null,
    validateOnCapture: false,
    autoReconcile: 'off',
    ...extra,
  };
}
