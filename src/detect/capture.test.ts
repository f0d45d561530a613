import { OwnWrites } from '../devices/own-writes.js';
import { describe, expect, it } from 'vitest';
import type { ConfwatchEvent } from '../events/event-map.js';
import { MemoryEventBus } from '../events/memory.bus.js';
import type { ChangeSetRecord, DeviceRecord, ProfileRecord, SnapshotRecord, TrackedFileRecord } from '../store/records.js';
import type { NewSnapshot, SnapshotStore, TrackedFilePatch } from '../store/snapshot-store.js';
import type { ShellScript } from '../transport/quote.js';
import type { ExecResult, FileStat, Transport } from '../transport/transport.js';
import { compileWatchSet } from '../devices/watch-set.js';
import { type CaptureRequest, CaptureService, type ObservedFile } from './capture.js';
import { linkHash } from './symlink.js';
import { Correlator } from './correlator.js';
import { sha256Hex } from '../hash.js';

const DEVICE = { name: 'web1', sudo: false } as DeviceRecord;
const AT = '2026-01-01T00:00:00.000Z';

const profile: ProfileRecord = {
  device: 'web1',
  name: 'custom',
  configType: null,
  paths: ['/srv/**'],
  exclude: [],
  pollIntervalSec: 300,
  maxFileBytes: 100,
  validateCommand: null,
  reloadCommand: null,
  validateOnCapture: false,
  autoReconcile: 'off',
};

const stat = (path: string, extra: Partial<FileStat> = {}): FileStat => ({
  path,
  type: 'file',
  size: 5,
  mode: 0o644,
  uid: 0,
  gid: 0,
  mtimeMs: 1_000,
  ino: 7,
  ...extra,
});

const tracked = (path: string, content: string, extra: Partial<TrackedFileRecord> = {}): TrackedFileRecord => ({
  device: 'web1',
  path,
  configType: 'generic',
  profile: 'custom',
  latestSnapshotId: 's0',
  baselineSnapshotId: 's0',
  contentHash: sha256Hex(Buffer.from(content)),
  deleted: false,
  syncStatus: 'synced',
  validationStatus: 'pending',
  lastError: null,
  lastCheckedAt: null,
  size: 5,
  mtimeMs: 1_000,
  ino: 7,
  mode: 0o644,
  uid: 0,
  gid: 0,
  ...extra,
});

/** A store fake: the methods capture uses are recorded; anything else fails the test. */
function fakeStore(rows: TrackedFileRecord[], storedBytes = 0) {
  const recorded: NewSnapshot[][] = [];
  const patches: { path: string; patch: TrackedFilePatch }[] = [];
  const lookups: string[][] = [];
  let ids = 0;
  const used: Partial<SnapshotStore> = {
    async getTrackedFile(_device, path) {
      return rows.find((r) => r.path === path);
    },
    async getTrackedFiles(_device, paths) {
      lookups.push([...paths]);
      return rows.filter((r) => paths.includes(r.path));
    },
    async recordSnapshots(inputs) {
      recorded.push([...inputs]);
      return inputs.map((input) => record(input, `s${++ids}`));
    },
    async updateTrackedFile(_device, path, patch) {
      patches.push({ path, patch });
    },
    async openChangeSet(device, title, openedAt): Promise<ChangeSetRecord> {
      return { id: 'cs1', device, title, count: 0, openedAt, closedAt: null };
    },
    async closeChangeSet() {},
    async storedContentBytes() {
      return storedBytes;
    },
  };
  const store = new Proxy(used, {
    get(target, key) {
      if (key in target) return target[key as keyof SnapshotStore];
      throw new Error(`fake store has no ${String(key)}`);
    },
  }) as SnapshotStore;
  return { store, recorded, patches, lookups };
}

function record(input: NewSnapshot, id: string): SnapshotRecord {
  return {
    id,
    device: input.device,
    path: input.path,
    configType: input.configType,
    contentHash: input.content ? sha256Hex(input.content) : (input.contentHash ?? null),
    hasContent: input.content !== undefined,
    size: input.size ?? null,
    mode: input.mode ?? null,
    uid: input.uid ?? null,
    gid: input.gid ?? null,
    mtimeMs: input.mtimeMs ?? null,
    changeType: input.changeType,
    source: input.source,
    previousId: null,
    movedFromPath: input.movedFromPath ?? null,
    changeSetId: input.changeSetId ?? null,
    actor: null,
    parsed: null,
    parseErrors: null,
    validation: null,
    parserVersion: null,
    impact: null,
    detectedAt: input.detectedAt,
    storedAt: AT,
  };
}

/** A transport whose `run` answers with prepared fetch output; other calls fail the test. */
function fakeTransport(outputs: Buffer[] = []) {
  const scripts: ShellScript[] = [];
  const transport: Pick<Transport, 'readFile' | 'stat' | 'run'> = {
    async run(script): Promise<ExecResult> {
      scripts.push(script);
      const stdout = outputs.shift();
      if (!stdout) throw new Error('fake transport: unexpected run');
      return { code: 0, stdout, stderr: Buffer.alloc(0) };
    },
    readFile: () => Promise.reject(new Error('fake transport: readFile not set up')),
    stat: () => Promise.reject(new Error('fake transport: stat not set up')),
  };
  return { transport, scripts };
}

function setup(rows: TrackedFileRecord[] = [], outputs: Buffer[] = [], ownWrites?: OwnWrites) {
  const { store, recorded, patches, lookups } = fakeStore(rows);
  const { transport, scripts } = fakeTransport(outputs);
  const bus = new MemoryEventBus();
  const events: ConfwatchEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const correlator = new Correlator({ device: 'web1', store, bus });
  const service = new CaptureService({
    device: DEVICE,
    watchSet: compileWatchSet([profile]),
    transport,
    store,
    bus,
    correlator,
    ...(ownWrites ? { ownWrites } : {}),
  });
  return { service, recorded, patches, lookups, scripts, events, correlator };
}

const changed = (path: string, observed?: ObservedFile): CaptureRequest => ({ path, kind: 'changed', detectedAt: AT, ...(observed && { observed }) });
const content = (path: string, text: string, extra: Partial<FileStat> = {}): ObservedFile => ({
  kind: 'content',
  stat: stat(path, { size: text.length, ...extra }),
  content: Buffer.from(text),
});

describe('CaptureService decisions', () => {
  it('stores a new file as created with its bytes, emits config.changed at once', async () => {
    const { service, recorded, events, correlator } = setup();
    const stored = await service.capture([changed('/srv/a.conf', content('/srv/a.conf', 'hello'))], 'realtime');
    expect(stored).toHaveLength(1);
    expect(recorded[0]?.[0]).toMatchObject({ path: '/srv/a.conf', changeType: 'created', content: Buffer.from('hello'), setBaseline: true, changeSetId: 'cs1', mode: 0o644 });
    expect(events).toEqual([
      expect.objectContaining({
        type: 'config.changed',
        device: 'web1',
        path: '/srv/a.conf',
        snapshotId: 's1',
        contentHash: sha256Hex(Buffer.from('hello')),
        changeType: 'created',
        source: 'realtime',
        changeSetId: 'cs1',
        detectedAt: AT,
        storedAt: AT,
      }),
    ]);
    await correlator.flush();
  });

  it('skips the versions confwatch is writing itself, and a delete it makes, but not other versions of those files', async () => {
    const own = new OwnWrites();
    const { service, recorded, events, correlator } = setup([tracked('/srv/a.conf', 'old'), tracked('/srv/b.conf', 'old')], [], own);
    const done = own.expect([
      { device: DEVICE.name, path: '/srv/a.conf', hash: sha256Hex('restored') },
      { device: DEVICE.name, path: '/srv/b.conf', hash: null },
    ]);
    expect(await service.capture([changed('/srv/a.conf', content('/srv/a.conf', 'restored')), { path: '/srv/b.conf', kind: 'deleted', detectedAt: AT, observed: { kind: 'missing' } }], 'realtime')).toEqual([]);
    expect(events).toEqual([]);
    done();
    // within the grace period the write-back's own version is still recognised; a user's edit is not
    expect(await service.capture([changed('/srv/a.conf', content('/srv/a.conf', 'restored'))], 'realtime')).toEqual([]);
    const stored = await service.capture([changed('/srv/a.conf', content('/srv/a.conf', 'edited by hand'))], 'realtime');
    expect(stored).toHaveLength(1);
    expect(recorded.flat().map((r) => r.path)).toEqual(['/srv/a.conf']);
    await correlator.flush();
  });

  it('records new files as initial on a first scan', async () => {
    const { service, recorded, correlator } = setup();
    await service.capture([changed('/srv/a.conf', content('/srv/a.conf', 'x'))], 'rescan', { initial: true });
    expect(recorded[0]?.[0]?.changeType).toBe('initial');
    await correlator.flush();
  });

  it('stores nothing for identical bytes and metadata, but refreshes the stat cache', async () => {
    const { service, recorded, patches, events } = setup([tracked('/srv/a.conf', 'hello')]);
    const stored = await service.capture([changed('/srv/a.conf', content('/srv/a.conf', 'hello', { mtimeMs: 2_000, ino: 9 }))], 'poll');
    expect(stored).toEqual([]);
    expect(recorded).toEqual([[]]);
    expect(events).toEqual([]);
    expect(patches).toEqual([{ path: '/srv/a.conf', patch: { size: 5, mtimeMs: 2_000, ino: 9, lastCheckedAt: AT } }]);
  });

  it('writes nothing at all when bytes, metadata and stat are all unchanged', async () => {
    const { service, recorded, patches } = setup([tracked('/srv/a.conf', 'hello')]);
    await service.capture([changed('/srv/a.conf', content('/srv/a.conf', 'hello'))], 'poll');
    expect(recorded).toEqual([[]]);
    expect(patches).toEqual([]);
  });

  it('compares a large batch with the tracked rows of its own paths only, read in one lookup', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => tracked(`/srv/f${i}.conf`, 'hello'));
    const { service, recorded, lookups, correlator } = setup(rows);
    const paths = Array.from({ length: 120 }, (_, i) => `/srv/f${i}.conf`);
    const stored = await service.capture(
      paths.map((p, i) => changed(p, content(p, i % 2 === 0 ? 'hello' : 'world'))),
      'rescan',
    );
    expect(lookups).toEqual([paths]);
    expect(stored.map((r) => r.path)).toEqual(paths.filter((_, i) => i % 2 === 1));
    expect(recorded[0]!.every((s) => s.changeType === 'modified')).toBe(true);
    await correlator.flush();
  });

  it('reads several batches, one remote round trip each', async () => {
    const statLine = 'a1a4 1 0 0 7 1 2026-01-01 00:00:01.000000000 +0000';
    const one = Buffer.from(`CWF2 each\0OK 1 ${statLine}\0x`);
    const { store } = fakeStore([]);
    const { transport, scripts } = fakeTransport([one, one, one]);
    const bus = new MemoryEventBus();
    const correlator = new Correlator({ device: 'web1', store, bus });
    const service = new CaptureService({ device: DEVICE, watchSet: compileWatchSet([profile]), transport, store, bus, correlator, batchSize: 1 });
    const stored = await service.capture(['/srv/1', '/srv/2', '/srv/3'].map((p) => changed(p)), 'realtime');
    expect(stored.map((r) => r.path)).toEqual(['/srv/1', '/srv/2', '/srv/3']);
    expect(scripts).toHaveLength(3);
    await correlator.flush();
  });

  it('stores a metadata snapshot without bytes when only mode or owner changed', async () => {
    const { service, recorded, correlator } = setup([tracked('/srv/a.conf', 'hello')]);
    await service.capture([changed('/srv/a.conf', content('/srv/a.conf', 'hello', { mode: 0o600, uid: 33 }))], 'realtime');
    const snap = recorded[0]?.[0];
    expect(snap).toMatchObject({ changeType: 'metadata', mode: 0o600, uid: 33, contentHash: sha256Hex(Buffer.from('hello')), setBaseline: false });
    expect(snap?.content).toBeUndefined();
    await correlator.flush();
  });

  it('stores changed bytes as modified', async () => {
    const { service, recorded, correlator } = setup([tracked('/srv/a.conf', 'hello')]);
    await service.capture([changed('/srv/a.conf', content('/srv/a.conf', 'world'))], 'realtime');
    expect(recorded[0]?.[0]).toMatchObject({ changeType: 'modified', content: Buffer.from('world') });
    await correlator.flush();
  });

  it('stores hash and metadata only for files over maxFileBytes', async () => {
    const { service, recorded, correlator } = setup([tracked('/srv/big.bin', 'old')]);
    const observed: ObservedFile = { kind: 'hash-only', stat: stat('/srv/big.bin', { size: 500 }), hash: 'f'.repeat(64) };
    await service.capture([changed('/srv/big.bin', observed)], 'poll');
    expect(recorded[0]?.[0]).toMatchObject({ changeType: 'modified', contentHash: 'f'.repeat(64), size: 500 });
    expect(recorded[0]?.[0]?.content).toBeUndefined();
    await correlator.flush();
  });

  it('marks an unreadable tracked file instead of failing, and clears the mark once readable', async () => {
    const { service, recorded, patches, correlator } = setup([tracked('/srv/a.conf', 'hello')]);
    await service.capture([changed('/srv/a.conf', { kind: 'unreadable', message: 'permission denied' })], 'realtime');
    expect(recorded).toEqual([[]]);
    expect(patches).toEqual([{ path: '/srv/a.conf', patch: { syncStatus: 'unreadable', lastError: 'permission denied', lastCheckedAt: AT } }]);

    const again = setup([tracked('/srv/a.conf', 'hello', { syncStatus: 'unreadable' })]);
    await again.service.capture([changed('/srv/a.conf', content('/srv/a.conf', 'new'))], 'realtime');
    expect(again.patches).toEqual([{ path: '/srv/a.conf', patch: { syncStatus: 'synced', lastError: null } }]);
    await correlator.flush();
    await again.correlator.flush();
  });

  it('tracks a new unreadable file with a content-less snapshot marked unreadable', async () => {
    const { service, recorded, patches, correlator } = setup();
    await service.capture([changed('/srv/secret.conf', { kind: 'unreadable', message: 'denied' })], 'poll');
    expect(recorded[0]?.[0]).toMatchObject({ path: '/srv/secret.conf', changeType: 'created', contentHash: null });
    expect(patches[0]).toEqual({ path: '/srv/secret.conf', patch: { syncStatus: 'unreadable', lastError: 'denied', lastCheckedAt: AT } });
    await correlator.flush();
  });

  it('turns a vanished or deleted file into one tombstone, and nothing when already deleted', async () => {
    const { service, recorded, correlator } = setup([tracked('/srv/a.conf', 'x'), tracked('/srv/b.conf', 'y', { deleted: true, contentHash: null })]);
    await service.capture(
      [
        changed('/srv/a.conf', { kind: 'missing' }),
        { path: '/srv/a.conf', kind: 'deleted', detectedAt: AT, observed: { kind: 'missing' } },
        { path: '/srv/b.conf', kind: 'deleted', detectedAt: AT, observed: { kind: 'missing' } },
      ],
      'realtime',
    );
    expect(recorded[0]).toEqual([expect.objectContaining({ path: '/srv/a.conf', changeType: 'deleted', contentHash: null })]);
    await correlator.flush();
  });

  it('records a move of a tracked file as tombstone plus linked moved snapshot', async () => {
    const { service, recorded, correlator } = setup([tracked('/srv/old.conf', 'x')]);
    await service.capture([{ path: '/srv/new.conf', kind: 'moved', movedFrom: '/srv/old.conf', detectedAt: AT, observed: content('/srv/new.conf', 'x') }], 'realtime');
    expect(recorded[0]).toEqual([
      expect.objectContaining({ path: '/srv/old.conf', changeType: 'deleted' }),
      expect.objectContaining({ path: '/srv/new.conf', changeType: 'moved', movedFromPath: '/srv/old.conf' }),
    ]);
    await correlator.flush();
  });

  it('treats a rename from an untracked temp file (sed -i, editors) as a plain change', async () => {
    const { service, recorded, correlator } = setup([tracked('/srv/a.conf', 'x')]);
    await service.capture([{ path: '/srv/a.conf', kind: 'moved', movedFrom: '/srv/sedX1Y2', detectedAt: AT, observed: content('/srv/a.conf', 'y') }], 'realtime');
    expect(recorded[0]).toEqual([expect.objectContaining({ path: '/srv/a.conf', changeType: 'modified', movedFromPath: null })]);
    await correlator.flush();
  });

  it('ignores paths no profile watches', async () => {
    const { service, recorded } = setup();
    await service.capture([changed('/etc/passwd', content('/etc/passwd', 'x'))], 'realtime');
    expect(recorded).toEqual([[]]);
  });
});

describe('storage quota', () => {
  it('stores versions past the quota as hash only and says so once with storage.quota', async () => {
    const { store, recorded } = fakeStore([], 90);
    const bus = new MemoryEventBus();
    const events: ConfwatchEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const correlator = new Correlator({ device: 'web1', store, bus });
    const { transport } = fakeTransport();
    const service = new CaptureService({ device: DEVICE, watchSet: compileWatchSet([profile]), transport, store, bus, correlator, storageQuotaBytes: 100 });
    await service.capture([changed('/srv/a.conf', content('/srv/a.conf', '12345')), changed('/srv/b.conf', content('/srv/b.conf', '1234567'))], 'realtime');
    await service.capture([changed('/srv/c.conf', content('/srv/c.conf', 'abcdefgh'))], 'realtime');
    expect(recorded.flat().map((r) => [r.path, r.content !== undefined, r.contentHash ?? null])).toEqual([
      ['/srv/a.conf', true, null],
      ['/srv/b.conf', false, sha256Hex(Buffer.from('1234567'))],
      ['/srv/c.conf', false, sha256Hex(Buffer.from('abcdefgh'))],
    ]);
    expect(events.filter((e) => e.type === 'storage.quota')).toEqual([expect.objectContaining({ device: 'web1', usedBytes: 95, quotaBytes: 100 })]);
    await correlator.flush();
  });
});

describe('CaptureService reading', () => {
  const statLine = 'a1a4 5 0 0 7 1 2026-01-01 00:00:01.000000000 +0000';

  it('reads all files of a batch in one remote round trip', async () => {
    const output = Buffer.concat([Buffer.from(`CWF2 each\0OK 5 ${statLine}\0`), Buffer.from('a\nb\0c'), Buffer.from('ENOENT\0')]);
    const names = ['/srv/new\nline.conf', '/srv/$(touch /tmp/pwned-X)'];
    const { service, recorded, scripts, correlator } = setup([tracked(names[1] as string, 'gone')], [output]);
    await service.capture(names.map((n) => changed(n)), 'realtime');
    expect(scripts).toHaveLength(1);
    expect(recorded[0]).toEqual([
      expect.objectContaining({ path: names[0], changeType: 'created', content: Buffer.from('a\nb\0c') }),
      expect.objectContaining({ path: names[1], changeType: 'deleted' }),
    ]);
    await correlator.flush();
  });

  it('does not read for deletions already seen missing', async () => {
    const { service, scripts, correlator } = setup([tracked('/srv/a.conf', 'x')]);
    await service.capture([{ path: '/srv/a.conf', kind: 'deleted', detectedAt: AT, observed: { kind: 'missing' } }], 'realtime');
    expect(scripts).toEqual([]);
    await correlator.flush();
  });

  it('looks before recording a claimed deletion: a file still there gets no tombstone', async () => {
    const output = Buffer.concat([Buffer.from(`CWF2 each\0OK 1 ${statLine.replace(' 5 ', ' 1 ')}\0`), Buffer.from('x'), Buffer.from('ENOENT\0')]);
    const { service, recorded, scripts, correlator } = setup([tracked('/srv/a.conf', 'x'), tracked('/srv/b.conf', 'y')], [output]);
    await service.capture(
      [
        { path: '/srv/a.conf', kind: 'deleted', detectedAt: AT },
        { path: '/srv/b.conf', kind: 'deleted', detectedAt: AT },
      ],
      'realtime',
    );
    expect(scripts).toHaveLength(1);
    expect(recorded[0]?.map((r) => [r.path, r.changeType])).toEqual([['/srv/b.conf', 'deleted']]);
    await correlator.flush();
  });

  it('records a link to an unwatched target as a link, never reading it, and a new target as metadata', async () => {
    const linkStat = 'a1ff 11 0 0 8 1 2026-01-01 00:00:01.000000000 +0000';
    const first = Buffer.from(`CWF2 each\0LINK ${linkStat}\0/etc/shadow\0`);
    const second = Buffer.from(`CWF2 each\0LINK ${linkStat}\0/etc/passwd\0`);
    const { service, recorded, scripts, correlator } = setup([], [first]);
    await service.capture([changed('/srv/env.conf')], 'realtime');
    expect(scripts).toHaveLength(1);
    expect(recorded[0]).toEqual([expect.objectContaining({ path: '/srv/env.conf', changeType: 'created', contentHash: linkHash('/etc/shadow') })]);
    expect(recorded[0]?.[0]?.content).toBeUndefined();
    await correlator.flush();
    const known = tracked('/srv/env.conf', 'x', { contentHash: linkHash('/etc/shadow'), mode: 0o777, size: 11, ino: 8 });
    const again = setup([known], [second]);
    await again.service.capture([changed('/srv/env.conf')], 'realtime');
    expect(again.recorded[0]).toEqual([expect.objectContaining({ path: '/srv/env.conf', changeType: 'metadata', contentHash: linkHash('/etc/passwd') })]);
    await again.correlator.flush();
  });

  it('reads through a link whose target is watched, by the target name', async () => {
    const linkStat = 'a1ff 6 0 0 8 1 2026-01-01 00:00:01.000000000 +0000';
    const link = Buffer.from(`CWF2 each\0LINK ${linkStat}\0b.conf\0`);
    const target = Buffer.concat([Buffer.from(`CWF2 each\0OK 5 ${statLine}\0`), Buffer.from('hello')]);
    const { service, recorded, scripts, correlator } = setup([], [link, target]);
    await service.capture([changed('/srv/a.conf')], 'realtime');
    expect(scripts).toHaveLength(2);
    expect(scripts[1]?.bytes.toString()).toContain("'/srv/b.conf'");
    expect(recorded[0]).toEqual([expect.objectContaining({ path: '/srv/a.conf', changeType: 'created', content: Buffer.from('hello') })]);
    await correlator.flush();
  });
});
