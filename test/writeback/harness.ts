/**
 * A write-back test bed: real sshd hosts on loopback, a store (SQLite in a
 * temp dir, or PostgreSQL in a throwaway schema), devices watching a temp
 * directory per host, and WritebackDeps over real SSH transports.
 */
import { compileWatchSet } from '../../src/devices/watch-set.js';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { openStore } from '../../src/store/open-store.js';
import type { DeviceRecord, ProfileRecord } from '../../src/store/records.js';
import type { DialectName } from '../../src/store/tables.js';
import type { ConfigType } from '../../src/parsers/parser.js';
import { WritebackRepository } from '../../src/store/writeback.repository.js';
import { SshTransport } from '../../src/transport/ssh/ssh.transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { remoteOnlyValidate } from './remote-only-validate.js';
import type { WritebackDeps } from '../../src/writeback/writeback-deps.js';
import { describeUnless } from '../helpers/components.js';
import { describeWithSshd, type RunningSshd, startSshd } from '../helpers/sshd.js';
import { customProfile, sshDevice } from '../helpers/store.js';
import { createTarget, postgresUnavailable, type TargetInstance } from '../store/store-targets.js';

export interface Host {
  readonly sshd: RunningSshd;
  readonly device: DeviceRecord;
  /** Watched directory on this host (`<root>/**` is the profile glob). */
  readonly root: string;
}

export interface Bed {
  readonly store: KyselyStore;
  readonly deps: WritebackDeps;
  readonly hosts: Host[];
  readonly events: ConfwatchEvent[];
  readonly target: TargetInstance;
  /** Records the current bytes of a file as its latest snapshot (what a capture would do). */
  capture(host: Host, path: string, content: Buffer | null, type?: ConfigType): Promise<string>;
  dispose(): Promise<void>;
}

export const transportFor = (sshd: RunningSshd) => async (): Promise<Transport> =>
  new SshTransport({ host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath, hostKey: { pinned: sshd.hostKeyFingerprint } });

export function profileFor(device: string, root: string, extra: Partial<ProfileRecord> = {}): ProfileRecord {
  return customProfile(device, [`${root}/**`], extra);
}

export async function createBed(options: { hosts: number; dialect?: DialectName; profile?: Partial<ProfileRecord> }): Promise<Bed> {
  const target = await createTarget(options.dialect ?? 'sqlite');
  const store = await openStore({ home: target.home, ...(target.databaseUrl ? { databaseUrl: target.databaseUrl } : {}) });
  const hosts: Host[] = [];
  const transports = new Map<string, () => Promise<Transport>>();
  for (let i = 0; i < options.hosts; i++) {
    const sshd = await startSshd();
    const root = mkdtempSync(join(tmpdir(), `cw-wb-h${i}-`));
    chmodSync(root, 0o755);
    const name = `host${i}`;
    const device = await store.addDevice(
      sshDevice(name, sshd, { mode: 'polling', passphrase: null }),
      [profileFor(name, root, options.profile)],
    );
    transports.set(name, transportFor(sshd));
    hosts.push({ sshd, device, root });
  }
  const bus = new MemoryEventBus();
  const events: ConfwatchEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const deps: WritebackDeps = {
    store,
    repo: new WritebackRepository(store),
    bus,
    transportFor: (device) => transports.get(device.name)!(),
    watchSetOf: async (name) => compileWatchSet(await store.listProfiles(name)),
    validate: remoteOnlyValidate,
  };
  return {
    store,
    deps,
    hosts,
    events,
    target,
    async capture(host, path, content, type = 'generic') {
      const [s] = await store.recordSnapshots([
        content
          ? { device: host.device.name, path, configType: type, profile: 'custom', changeType: 'modified', source: 'poll', content, detectedAt: new Date().toISOString() }
          : { device: host.device.name, path, configType: type, profile: 'custom', changeType: 'deleted', source: 'poll', detectedAt: new Date().toISOString() },
      ]);
      return s!.id;
    },
    async dispose() {
      await store.close();
      for (const h of hosts) {
        await h.sshd.stop();
        rmSync(h.root, { recursive: true, force: true });
      }
      await target.dispose();
    },
  };
}

/** Creates a file with parents, for test set-up. */
export function mkdirFor(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
}

/** Why the store cannot run on PostgreSQL here (unreachable, or the store fails to open on it). */
async function postgresProblem(): Promise<string | undefined> {
  const unreachable = await postgresUnavailable();
  if (unreachable) return unreachable;
  const target = await createTarget('postgres');
  try {
    const store = await openStore({ home: target.home, databaseUrl: target.databaseUrl! });
    await store.close();
    return undefined;
  } catch (error) {
    return `the store does not open on PostgreSQL: ${(error as Error).message}`;
  } finally {
    await target.dispose();
  }
}

const pgProblem = await postgresProblem();

/**
 * One suite per database (SQLite always; PostgreSQL when reachable, and
 * required under CI=true), each needing sshd.
 */
export function describeOnDialects(name: string, body: (dialect: DialectName) => void): void {
  describeWithSshd(`${name} (sqlite)`, () => body('sqlite'));
  describeUnless(pgProblem ?? null, `${name} on PostgreSQL`, () => describeWithSshd(`${name} (postgres)`, () => body('postgres')));
}
