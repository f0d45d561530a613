/**
 * Polling and reconcile scans end to end: the real Scanner, CaptureService
 * and store (SQLite and PostgreSQL) over the local transport, busybox alone,
 * and a real sshd on loopback.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/hash.js';
import { LocalTransport } from '../../src/transport/local.transport.js';
import { remotePathFromBytes } from '../../src/transport/remote-path.js';
import { SshTransport } from '../../src/transport/ssh/ssh.transport.js';
import { describeUnless } from '../helpers/components.js';
import { describeWithSshd, type RunningSshd, startSshd } from '../helpers/sshd.js';
import { postgresUnavailable } from '../store/store-targets.js';
import { CaptureService } from '../../src/detect/capture.js';
import { Correlator } from '../../src/detect/correlator.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { openStore } from '../../src/store/open-store.js';
import type { DeviceRecord, ProfileRecord } from '../../src/store/records.js';
import type { DialectName } from '../../src/store/tables.js';
import { sh } from '../../src/transport/quote.js';
import type { Transport } from '../../src/transport/transport.js';
import { buildFetchScript, parseFetch, type ScriptFlavour } from '../../src/detect/poll-script.js';
import { linkHash } from '../../src/detect/symlink.js';
import { Scanner } from '../../src/watch/scanner.js';
import { compileWatchSet } from '../../src/devices/watch-set.js';
import { createTarget, type TargetInstance } from '../store/store-targets.js';

const MAX_FILE_BYTES = 64;

interface ScanHarness {
  /** The watched directory (world-readable, so other users can list it). */
  readonly root: string;
  readonly store: KyselyStore;
  readonly scanner: Scanner;
  readonly correlator: Correlator;
  readonly events: ConfwatchEvent[];
  readonly device: DeviceRecord;
  dispose(): Promise<void>;
}

interface HarnessOptions {
  readonly dialect: DialectName;
  readonly transport: Transport;
  readonly flavour?: ScriptFlavour;
  /** Device name. */
  readonly name?: string;
  readonly storageQuotaBytes?: number;
}

async function createScanHarness(options: HarnessOptions): Promise<ScanHarness> {
  const root = mkdtempSync(join(tmpdir(), 'cw-scan-'));
  chmodSync(root, 0o755);
  const target: TargetInstance = await createTarget(options.dialect);
  const store = await openStore({ home: target.home, ...(target.databaseUrl ? { databaseUrl: target.databaseUrl } : {}) });
  const name = options.name ?? `scan-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  const profile: ProfileRecord = {
    device: name,
    name: 'custom',
    configType: null,
    paths: [`${root}/**`],
    exclude: [],
    pollIntervalSec: 300,
    maxFileBytes: MAX_FILE_BYTES,
    validateCommand: null,
    reloadCommand: null,
    validateOnCapture: false,
    autoReconcile: 'off',
  };
  const device = await store.addDevice(
    { name, transport: 'local', host: 'localhost', port: 22, user: 'root', identityFile: null, hostKey: null, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [], passphrase: null },
    [profile],
  );
  const watchSet = compileWatchSet([profile]);
  const bus = new MemoryEventBus();
  const events: ConfwatchEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const correlator = new Correlator({ device: name, store, bus });
  const capture = new CaptureService({
    device,
    watchSet,
    transport: options.transport,
    store,
    bus,
    correlator,
    ...(options.storageQuotaBytes === undefined ? {} : { storageQuotaBytes: options.storageQuotaBytes }),
  });
  const scanner = new Scanner({ device, watchSet, transport: options.transport, store, capture, timeoutMs: 30_000, ...(options.flavour ? { flavour: options.flavour } : {}) });
  return {
    root,
    store,
    scanner,
    correlator,
    events,
    device,
    async dispose() {
      await correlator.flush();
      await store.close();
      await target.dispose();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A transport whose `run` scripts execute as another user (via `su`), everything else as is. */
function runAs(user: string, transport: Transport): Transport {
  return new Proxy(transport, {
    get(target, key, receiver) {
      if (key === 'run') {
        return (script: Parameters<Transport['run']>[0], opts?: Parameters<Transport['run']>[1]) =>
          target.run(sh`su ${user} -s /bin/sh -c ${script.bytes}`, opts);
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A transport whose `run` scripts execute under busybox alone: busybox
 * `sh` with a PATH holding only busybox applets. Null when busybox is absent.
 */
function underBusybox(transport: Transport): Transport | null {
  const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) return null;
  const bin = mkdtempSync(join(tmpdir(), 'cw-busybox-'));
  mkdirSync(bin, { recursive: true });
  execFileSync(busybox, ['--install', '-s', bin]);
  return new Proxy(transport, {
    get(target, key, receiver) {
      if (key === 'run') {
        return (script: Parameters<Transport['run']>[0], opts?: Parameters<Transport['run']>[1]) =>
          target.run(sh`PATH=${bin} ${`${bin}/sh`} -c ${script.bytes}`, opts);
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

interface TransportCase {
  readonly transport: Transport;
  cleanup(): Promise<void>;
}

/** Marker a command substitution in a name would create, in whatever directory the shell is in. */
const PWNED = `cw-pwned-${process.pid}`;
const pwnedAnywhere = (root: string) =>
  [process.cwd(), root, tmpdir(), homedir(), '/', '/root'].some((dir) => existsSync(join(dir, PWNED)));

/** Names an attacker may give a file; each must be tracked under exactly these bytes. */
const HOSTILE_NAMES: Buffer[] = [
  Buffer.from('new\nline.conf'),
  Buffer.from('pipe|name.conf'),
  Buffer.from(`it's "quoted".conf`),
  Buffer.from(`$(touch ${PWNED})`),
  Buffer.from(`\`touch ${PWNED}\``),
  Buffer.from('-leading-dash.conf'),
  Buffer.from('with  spaces .conf'),
  Buffer.concat([Buffer.from('bad-'), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from('.conf')]),
];

const pathOf = (root: string, name: Buffer) => remotePathFromBytes(Buffer.concat([Buffer.from(`${root}/`), name]));

async function snapshotsByPath(h: ScanHarness) {
  const files = await h.store.listTrackedFiles(h.device.name);
  return new Map(files.map((f) => [f.path, f]));
}

function scanSuite(label: string, dialect: DialectName, open: () => Promise<TransportCase>, flavour?: ScriptFlavour): void {
  describe(label, () => {
    let tc: TransportCase;
    let h: ScanHarness;

    beforeAll(async () => {
      tc = await open();
    });
    afterAll(async () => {
      await tc?.cleanup();
    });

    const fresh = async (extra: { storageQuotaBytes?: number } = {}) => {
      h = await createScanHarness({ dialect, transport: tc.transport, ...(flavour ? { flavour } : {}), ...extra });
      return h;
    };
    const done = async () => h?.dispose();

    it('stores initial snapshots on the first scan, then nothing for an unchanged poll (one remote command)', async () => {
      await fresh();
      try {
        mkdirSync(join(h.root, 'sub'));
        writeFileSync(join(h.root, 'a.conf'), 'server_name a;\n');
        writeFileSync(join(h.root, 'sub', 'b.conf'), 'b\n');
        writeFileSync(join(h.root, 'big.bin'), Buffer.alloc(MAX_FILE_BYTES + 10, 7));
        writeFileSync(join(h.root, '.x.conf.swp'), 'swap');

        const first = await h.scanner.scan('poll');
        expect(first).toMatchObject({ listed: 3, stored: 3 });
        const files = await snapshotsByPath(h);
        expect([...files.keys()].sort()).toEqual([`${h.root}/a.conf`, `${h.root}/big.bin`, `${h.root}/sub/b.conf`]);
        const a = await h.store.latestSnapshot(h.device.name, `${h.root}/a.conf`);
        expect(a).toMatchObject({ changeType: 'initial', source: 'poll', hasContent: true, contentHash: sha256Hex(Buffer.from('server_name a;\n')) });
        expect(await h.store.readContent(a!)).toEqual(Buffer.from('server_name a;\n'));
        const big = await h.store.latestSnapshot(h.device.name, `${h.root}/big.bin`);
        expect(big).toMatchObject({ hasContent: false, size: MAX_FILE_BYTES + 10, contentHash: sha256Hex(Buffer.alloc(MAX_FILE_BYTES + 10, 7)) });
        expect(h.events.filter((e) => e.type === 'config.changed')).toHaveLength(3);

        const second = await h.scanner.scan('poll');
        expect(second).toMatchObject({ listed: 3, changed: 0, stored: 0, remoteCommands: 1 });
      } finally {
        await done();
      }
    });

    it('detects modify, create, delete, chmod and a content change that kept size and mtime', async () => {
      await fresh();
      try {
        for (const n of ['mod', 'gone', 'perm', 'sneaky']) writeFileSync(join(h.root, `${n}.conf`), 'aaaa');
        await h.scanner.scan('poll');
        const sneaky = join(h.root, 'sneaky.conf');
        const before = statSync(sneaky);

        writeFileSync(join(h.root, 'mod.conf'), 'changed!');
        writeFileSync(join(h.root, 'new.conf'), 'new');
        rmSync(join(h.root, 'gone.conf'));
        chmodSync(join(h.root, 'perm.conf'), 0o600);
        writeFileSync(sneaky, 'bbbb');
        utimesSync(sneaky, before.atime, before.mtime);

        const result = await h.scanner.scan('poll');
        expect(result.stored).toBe(5);
        const latest = async (n: string) => h.store.latestSnapshot(h.device.name, `${h.root}/${n}.conf`);
        expect((await latest('mod'))?.changeType).toBe('modified');
        expect((await latest('new'))?.changeType).toBe('created');
        expect((await latest('gone'))?.changeType).toBe('deleted');
        expect(await latest('perm')).toMatchObject({ changeType: 'metadata', mode: 0o600 });
        expect(await latest('sneaky')).toMatchObject({ changeType: 'modified', contentHash: sha256Hex(Buffer.from('bbbb')) });
        await h.correlator.flush();
        expect(h.events.filter((e) => e.type === 'config.changeset').at(-1)).toMatchObject({ count: 5 });

        expect((await h.scanner.scan('poll')).stored).toBe(0);
      } finally {
        await done();
      }
    });

    it('records a rename between polls as a move linked to the old path; a copy or an edited rename stays delete + create', async () => {
      await fresh();
      try {
        mkdirSync(join(h.root, 'sub'));
        writeFileSync(join(h.root, 'a.conf'), 'listen 80;\n');
        writeFileSync(join(h.root, 'orig.conf'), 'copied\n');
        writeFileSync(join(h.root, 'edit.conf'), 'edited\n');
        writeFileSync(join(h.root, 'big.bin'), Buffer.alloc(MAX_FILE_BYTES + 10, 3));
        await h.scanner.scan('poll');

        renameSync(join(h.root, 'a.conf'), join(h.root, 'sub', 'b.conf'));
        // over the size limit: paired on the listing's hash alone, nothing fetched
        renameSync(join(h.root, 'big.bin'), join(h.root, 'big2.bin'));
        // a copy has its own inode: the original's removal is a delete, the copy a create
        copyFileSync(join(h.root, 'orig.conf'), join(h.root, 'copy.conf'));
        rmSync(join(h.root, 'orig.conf'));
        renameSync(join(h.root, 'edit.conf'), join(h.root, 'edited.conf'));
        writeFileSync(join(h.root, 'edited.conf'), 'edited twice\n', { flag: 'a' });

        const result = await h.scanner.scan('poll');
        expect(result).toMatchObject({ stored: 8, remoteCommands: 2 });
        const [moved] = (await h.store.history(h.device.name, `${h.root}/sub/b.conf`)).items;
        expect(moved).toMatchObject({ changeType: 'moved', source: 'poll', movedFromPath: `${h.root}/a.conf`, contentHash: sha256Hex(Buffer.from('listen 80;\n')), hasContent: true });
        expect(await h.store.readContent(moved!)).toEqual(Buffer.from('listen 80;\n'));
        const oldHistory = (await h.store.history(h.device.name, `${h.root}/a.conf`)).items;
        expect(oldHistory.map((s) => s.changeType)).toEqual(['deleted', 'initial']);
        expect(oldHistory[0]?.changeSetId).toBe(moved?.changeSetId);
        expect(await h.store.latestSnapshot(h.device.name, `${h.root}/big2.bin`)).toMatchObject({
          changeType: 'moved',
          movedFromPath: `${h.root}/big.bin`,
          hasContent: false,
          contentHash: sha256Hex(Buffer.alloc(MAX_FILE_BYTES + 10, 3)),
        });
        expect((await h.store.latestSnapshot(h.device.name, `${h.root}/big.bin`))?.changeType).toBe('deleted');
        const latest = async (n: string) => h.store.latestSnapshot(h.device.name, `${h.root}/${n}.conf`);
        expect(await latest('orig')).toMatchObject({ changeType: 'deleted' });
        expect(await latest('copy')).toMatchObject({ changeType: 'created', movedFromPath: null });
        expect(await latest('edit')).toMatchObject({ changeType: 'deleted' });
        expect(await latest('edited')).toMatchObject({ changeType: 'created', movedFromPath: null });

        expect((await h.scanner.scan('poll')).stored).toBe(0);
      } finally {
        await done();
      }
    });

    it('tracks hostile file names under their exact bytes and executes nothing', async () => {
      await fresh();
      try {
        for (const [i, name] of HOSTILE_NAMES.entries()) writeFileSync(Buffer.concat([Buffer.from(`${h.root}/`), name]), `content ${i}\n`);
        const result = await h.scanner.scan('rescan');
        expect(result.stored).toBe(HOSTILE_NAMES.length);
        const files = await snapshotsByPath(h);
        for (const [i, name] of HOSTILE_NAMES.entries()) {
          const file = files.get(pathOf(h.root, name));
          expect(file, name.toString('latin1')).toBeDefined();
          expect(await h.store.readContent({ contentHash: file?.contentHash ?? null })).toEqual(Buffer.from(`content ${i}\n`));
        }
        expect(pwnedAnywhere(h.root)).toBe(false);

        rmSync(Buffer.concat([Buffer.from(`${h.root}/`), HOSTILE_NAMES[0] as Buffer]) as unknown as string);
        await h.scanner.scan('poll');
        expect((await snapshotsByPath(h)).get(pathOf(h.root, HOSTILE_NAMES[0] as Buffer))?.deleted).toBe(true);
        expect(pwnedAnywhere(h.root)).toBe(false);
      } finally {
        await done();
      }
    });

    it('records links as links: a link to /dev/zero does not stall a poll, a link to a secret is never read, a link into the tree is read through', async () => {
      await fresh();
      const outside = mkdtempSync(join(tmpdir(), 'cw-outside-'));
      try {
        const secret = join(outside, 'shadow');
        writeFileSync(secret, 'SECRET-MARKER-5\n', { mode: 0o600 });
        writeFileSync(join(h.root, 'a.conf'), 'real\n');
        symlinkSync('/dev/zero', join(h.root, 'zero.conf'));
        symlinkSync(secret, join(h.root, 'env.conf'));
        symlinkSync('a.conf', join(h.root, 'alias.conf'));

        const started = Date.now();
        expect(await h.scanner.scan('poll')).toMatchObject({ listed: 4, stored: 4 });
        expect(Date.now() - started).toBeLessThan(15_000);
        const zero = await h.store.latestSnapshot(h.device.name, `${h.root}/zero.conf`);
        expect(zero).toMatchObject({ hasContent: false, contentHash: linkHash('/dev/zero') });
        const env = await h.store.latestSnapshot(h.device.name, `${h.root}/env.conf`);
        expect(env).toMatchObject({ hasContent: false, contentHash: linkHash(secret) });
        const alias = await h.store.latestSnapshot(h.device.name, `${h.root}/alias.conf`);
        expect(alias).toMatchObject({ hasContent: true, contentHash: sha256Hex(Buffer.from('real\n')) });

        // the fetch a realtime event triggers reports the links too, without reading them
        const requests = ['zero.conf', 'env.conf'].map((n) => ({ path: `${h.root}/${n}`, maxBytes: MAX_FILE_BYTES }));
        const fetched = parseFetch((await tc.transport.run(buildFetchScript(requests, flavour ?? 'auto'), { timeoutMs: 15_000 })).stdout, requests);
        expect(fetched).toMatchObject([{ status: 'link', target: '/dev/zero' }, { status: 'link', target: secret }]);

        rmSync(join(h.root, 'env.conf'));
        symlinkSync('/etc/hostname', join(h.root, 'env.conf'));
        expect((await h.scanner.scan('poll')).stored).toBe(1);
        expect(await h.store.latestSnapshot(h.device.name, `${h.root}/env.conf`)).toMatchObject({ changeType: 'metadata', hasContent: false, contentHash: linkHash('/etc/hostname') });
        expect((await h.scanner.scan('poll')).stored).toBe(0);
      } finally {
        rmSync(outside, { recursive: true, force: true });
        await done();
      }
    });

    it('leaves nothing at a predictable name: links planted at the old marker names neither redirect a write nor blind polling', async () => {
      await fresh();
      const canaryDir = mkdtempSync(join(tmpdir(), 'cw-canary-'));
      const planted: string[] = [];
      try {
        const canary = join(canaryDir, 'canary');
        writeFileSync(canary, 'untouched\n');
        for (const dir of new Set([process.env.XDG_RUNTIME_DIR, '/tmp'].filter((d): d is string => d !== undefined))) {
          for (const name of [`.confwatch-${h.device.name}-0.mark`, `.confwatch-${h.device.name}-0.mark.new`]) {
            const at = join(dir, name);
            rmSync(at, { force: true });
            symlinkSync(canary, at);
            planted.push(at);
          }
        }
        writeFileSync(join(h.root, 'a.conf'), 'one\n');
        expect((await h.scanner.scan('poll')).stored).toBe(1);
        writeFileSync(join(h.root, 'a.conf'), 'two\n');
        expect((await h.scanner.scan('poll')).stored).toBe(1);
        writeFileSync(join(h.root, 'b.conf'), 'new\n');
        expect((await h.scanner.scan('poll')).stored).toBe(1);
        expect(readFileSync(canary, 'utf8')).toBe('untouched\n');
      } finally {
        for (const at of planted) rmSync(at, { force: true });
        rmSync(canaryDir, { recursive: true, force: true });
        await done();
      }
    });

    it('keeps new versions as hashes once the device reaches its storage quota, and says so once', async () => {
      await fresh({ storageQuotaBytes: 40 });
      try {
        writeFileSync(join(h.root, 'a.conf'), 'a'.repeat(30));
        expect((await h.scanner.scan('poll')).stored).toBe(1);
        expect(await h.store.storedContentBytes(h.device.name)).toBe(30);
        writeFileSync(join(h.root, 'a.conf'), 'b'.repeat(20));
        writeFileSync(join(h.root, 'c.conf'), 'c'.repeat(5));
        expect((await h.scanner.scan('poll')).stored).toBe(2);
        expect(await h.store.latestSnapshot(h.device.name, `${h.root}/a.conf`)).toMatchObject({ hasContent: false, contentHash: sha256Hex(Buffer.from('b'.repeat(20))) });
        expect(await h.store.latestSnapshot(h.device.name, `${h.root}/c.conf`)).toMatchObject({ hasContent: true });
        expect(await h.store.storedContentBytes(h.device.name)).toBe(35);
        expect(h.events.filter((e) => e.type === 'storage.quota')).toEqual([expect.objectContaining({ usedBytes: 35, quotaBytes: 40 })]);
      } finally {
        await done();
      }
    });

    it('scans only the directories asked for', async () => {
      await fresh();
      try {
        for (const d of ['one', 'two']) {
          mkdirSync(join(h.root, d));
          writeFileSync(join(h.root, d, 'x.conf'), d);
        }
        await h.scanner.scan('poll');
        writeFileSync(join(h.root, 'one', 'x.conf'), 'one!');
        writeFileSync(join(h.root, 'two', 'x.conf'), 'two!');
        const result = await h.scanner.scan('rescan', { dirs: [join(h.root, 'one')] });
        expect(result).toMatchObject({ listed: 1, stored: 1 });
        expect((await h.store.latestSnapshot(h.device.name, `${h.root}/two/x.conf`))?.changeType).toBe('initial');
        expect((await h.scanner.scan('poll')).stored).toBe(1);
      } finally {
        await done();
      }
    });
  });
}

const local = async (): Promise<TransportCase> => {
  const transport = new LocalTransport();
  return { transport, cleanup: () => transport.close() };
};

scanSuite('scan over the local transport (SQLite)', 'sqlite', local);

describeUnless((await postgresUnavailable()) ?? null, 'scan over the local transport on PostgreSQL', () =>
  scanSuite('scan over the local transport (PostgreSQL)', 'postgres', local),
);

const busyboxProbe = underBusybox(new LocalTransport());
await busyboxProbe?.close();
describeUnless(busyboxProbe ? null : 'busybox is not installed (apt-get install busybox)', 'scan with busybox alone', () =>
  scanSuite('scan with busybox alone (SQLite)', 'sqlite', async () => {
    const inner = new LocalTransport();
    return { transport: underBusybox(inner) as Transport, cleanup: () => inner.close() };
  }),
);

describeWithSshd('scan over real sshd', () => {
  let sshd: RunningSshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  scanSuite('SQLite', 'sqlite', async () => {
    const transport = new SshTransport({ host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath, hostKey: { pinned: sshd.hostKeyFingerprint } });
    return { transport, cleanup: () => transport.close() };
  });
});

describe('unreadable files', () => {
  it('marks a file the device user cannot read as unreadable, and recovers once it can', async () => {
    const inner = new LocalTransport();
    const h = await createScanHarness({ dialect: 'sqlite', transport: runAs('nobody', inner) });
    try {
      const secret = join(h.root, 'secret.conf');
      writeFileSync(secret, 'top secret');
      chmodSync(secret, 0o000);
      writeFileSync(join(h.root, 'open.conf'), 'open');
      const first = await h.scanner.scan('poll');
      expect(first.listed).toBe(2);
      expect(await h.store.getTrackedFile(h.device.name, secret)).toMatchObject({ syncStatus: 'unreadable', contentHash: null });
      expect((await h.store.getTrackedFile(h.device.name, secret))?.lastError).toMatch(/permission/);
      expect((await h.store.getTrackedFile(h.device.name, `${h.root}/open.conf`))?.syncStatus).toBe('synced');
      expect((await h.scanner.scan('poll')).stored).toBe(0);

      chmodSync(secret, 0o644);
      await h.scanner.scan('poll');
      expect(await h.store.getTrackedFile(h.device.name, secret)).toMatchObject({ syncStatus: 'synced', contentHash: sha256Hex(readFileSync(secret)) });
    } finally {
      await h.dispose();
      await inner.close();
    }
  });
});
