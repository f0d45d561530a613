/**
 * Stores and devices for integration tests and benchmarks: a temp home with
 * a master key and its SQLite store, SSH devices that log in to a test
 * sshd, and the profiles they watch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createMasterKeyFile } from '../../src/store/keyring.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { openStore } from '../../src/store/open-store.js';
import type { DeviceRecord, ProfileRecord } from '../../src/store/records.js';
import type { NewDevice } from '../../src/store/snapshot-store.js';
import { resolveProfiles } from '../../src/watch/profiles.js';
import { commandExists, describeUnless } from './components.js';
import { type RunningSshd, sshdProblem, startSshd } from './sshd.js';

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

/** This host without SSH, as a `local` device reaches it. */
export const LOCAL_ENDPOINT: Endpoint = { transport: 'local', host: 'localhost', port: 22, user: 'root', identityFile: null, hostKey: null };

/**
 * Runs a realtime `suite` twice: against this host over the local transport,
 * and against a device on a real sshd started for it. Both need inotifywait.
 */
export function describeOverLocalAndSsh(title: string, suite: (endpoint: () => Endpoint) => void): void {
  const inotify = commandExists('inotifywait') ? null : 'inotifywait is not installed (apt-get install inotify-tools)';
  describeUnless(inotify, `${title} over the local transport`, () => suite(() => LOCAL_ENDPOINT));
  describeUnless(inotify ?? sshdProblem(), `${title} over SSH`, () => {
    let sshd: RunningSshd;
    beforeAll(async () => {
      sshd = await startSshd();
    });
    afterAll(async () => {
      await sshd?.stop();
    });
    suite(() => sshEndpoint(sshd));
  });
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
