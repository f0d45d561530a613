import { describeUnless } from '../helpers/components.js';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfwatchError } from '../../src/errors.js';
import { openDatabase } from '../../src/store/database.js';
import { rotateMasterKey } from '../../src/store/key-rotation.js';
import { MASTER_KEY_FILE } from '../../src/store/keyring.js';
import { migrationsFor } from '../../src/store/migrations/index.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { openStore } from '../../src/store/open-store.js';
import type { ProfileRecord } from '../../src/store/records.js';
import type { NewDevice, NewSnapshot } from '../../src/store/snapshot-store.js';
import type { DialectName } from '../../src/store/tables.js';
import { createTarget, POSTGRES_URL, postgresUnavailable, type TargetInstance } from './store-targets.js';

const pgMissing = await postgresUnavailable();

const device: NewDevice = {
  name: 'web-1',
  transport: 'ssh',
  host: '10.0.0.5',
  port: 2222,
  user: 'root',
  identityFile: '/home/me/.ssh/id_ed25519',
  hostKey: 'SHA256:abc',
  mode: 'auto',
  pollIntervalSec: null,
  sudo: true,
  jump: null,
  tags: ['proxy', 'edge'],
  pathMappings: [{ container: '/config', host: '/srv/swag' }],
  passphrase: 'correct horse',
};

const profile: ProfileRecord = {
  device: 'web-1',
  name: 'nginx',
  configType: 'nginx',
  paths: ['/etc/nginx/**/*.conf'],
  exclude: ['**/*.swp'],
  pollIntervalSec: 300,
  maxFileBytes: 1_048_576,
  validateCommand: null,
  reloadCommand: 'systemctl reload nginx',
  validateOnCapture: true,
  autoReconcile: 'off',
  pathMappings: [{ container: '/etc/nginx', host: '/opt/stacks/proxy/nginx' }],
  requireValidation: true,
};

const snap = (path: string, content: string | Buffer | undefined, extra: Partial<NewSnapshot> = {}): NewSnapshot => ({
  device: 'web-1',
  path,
  configType: 'nginx',
  profile: 'nginx',
  changeType: 'modified',
  source: 'realtime',
  content: typeof content === 'string' ? Buffer.from(content) : content,
  detectedAt: new Date().toISOString(),
  ...extra,
});

const expectCode = async (promise: Promise<unknown>, code: string): Promise<ConfwatchError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfwatchError);
  expect((error as ConfwatchError).code).toBe(code);
  return error as ConfwatchError;
};

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

for (const dialect of DIALECTS) {
  describeUnless(dialect === 'postgres' ? (pgMissing ?? null) : null, `KyselyStore on ${dialect}`, () => {
    let target: TargetInstance;
    let store: KyselyStore;
    const reopen = (contentCacheBytes?: number) =>
      openStore({ home: target.home, databaseUrl: target.databaseUrl, env: {}, contentCacheBytes });

    beforeEach(async () => {
      target = await createTarget(dialect);
      store = await reopen();
    });
    afterEach(async () => {
      await store.close();
      await target.dispose();
    });

    it('runs migrations once: opening twice keeps schema and data', async () => {
      await store.appendAudit({ actor: 'me', action: 'init', target: null, clientAddress: null, result: 'ok', details: null });
      const again = await openDatabase(target.databaseUrl, target.home);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(again.db);
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrationsFor(dialect)).sort());
      expect(await again.db.selectFrom('audit_log').select('action').execute()).toEqual([{ action: 'init' }]);
      expect(again.dialect).toBe(dialect);
      await again.db.destroy();
    });

    it('adds, reads, updates and removes devices with identical booleans and JSON', async () => {
      const added = await store.addDevice(device, [profile]);
      expect(added).toMatchObject({ name: 'web-1', port: 2222, sudo: true, tags: ['proxy', 'edge'], hasPassphrase: true });
      expect(added).not.toHaveProperty('passphrase');
      expect(await store.getDevicePassphrase('web-1')).toBe('correct horse');
      expect(await store.listProfiles('web-1')).toEqual([profile]);
      expect((await store.getDevice('web-1'))?.pathMappings).toEqual(device.pathMappings);
      await expectCode(store.addDevice(device, []), 'CW_ERR_ALREADY_EXISTS');

      await store.addDevice({ ...device, name: 'local', transport: 'local', sudo: false, tags: [], passphrase: null }, []);
      const listed = await store.listDevices();
      expect(listed.map((d) => [d.name, d.sudo, d.hasPassphrase])).toEqual([
        ['local', false, false],
        ['web-1', true, true],
      ]);

      await store.updateDevice('web-1', { hostKey: 'SHA256:new', mode: 'polling', tags: [] });
      expect(await store.getDevice('web-1')).toMatchObject({ hostKey: 'SHA256:new', mode: 'polling', tags: [] });
      // the storage quota (migration 0010): unset, past 2^32, and back to the default
      expect((await store.getDevice('web-1'))?.storageQuotaBytes).toBeNull();
      await store.updateDevice('web-1', { storageQuotaBytes: 5 * 2 ** 32 });
      expect((await store.getDevice('web-1'))?.storageQuotaBytes).toBe(5 * 2 ** 32);
      await store.updateDevice('web-1', { storageQuotaBytes: null });
      expect((await store.getDevice('web-1'))?.storageQuotaBytes).toBeNull();
      await expectCode(store.updateDevice('nope', { mode: 'auto' }), 'CW_ERR_NOT_FOUND');

      expect(await store.removeDevice('web-1')).toBe(true);
      expect(await store.removeDevice('web-1')).toBe(false);
      expect(await store.getDevice('web-1')).toBeUndefined();
      expect(await store.getDevicePassphrase('web-1')).toBeNull();
      expect(await store.listProfiles('web-1')).toEqual([]);
    });

    it('stores exact bytes, deduplicated by hash, as deltas against the previous version', async () => {
      const base = Array.from({ length: 300 }, (_, i) => `location /app${i} { proxy_pass http://app${i}:80; }\n`).join('');
      const binary = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x0a, 0xfe]);
      const [first, second, copy, bin] = await store.recordSnapshots([
        snap('/etc/nginx/a.conf', base, { changeType: 'initial' }),
        snap('/etc/nginx/a.conf', base.replace('app150 ', 'changed ')),
        snap('/etc/nginx/b.conf', base, { changeType: 'initial' }),
        snap('/etc/nginx/bin', binary, { changeType: 'initial' }),
      ]);
      expect(copy!.contentHash).toBe(first!.contentHash);
      expect(second!.previousId).toBe(first!.id);
      expect((await store.readContent(second!)).toString()).toBe(base.replace('app150 ', 'changed '));
      expect((await store.readContent(bin!)).equals(binary)).toBe(true);

      const blobs = await store.db.selectFrom('blobs').select(['hash', 'encoding', 'depth']).orderBy('depth').execute();
      expect(blobs).toHaveLength(3);
      expect(blobs.find((b) => b.hash === second!.contentHash)).toMatchObject({ encoding: 'delta', depth: 1 });

      const fresh = await reopen(0);
      expect((await fresh.readContent(second!)).toString()).toBe(base.replace('app150 ', 'changed '));
      await fresh.close();
    });

    it('records a batch larger than one statement holds, each file building on its previous version', async () => {
      // more rows than fit one multi-row insert under SQLite's bound-parameter limit
      const files = Array.from({ length: 1_500 }, (_, i) => `/etc/nginx/sites/site${i}.conf`);
      const text = (i: number, branch: string) => `server { listen ${8000 + i}; root /srv/${branch}/site${i}; }\n`.repeat(20);
      const first = await store.recordSnapshots(files.map((f, i) => snap(f, text(i, 'main'), { changeType: 'initial', setBaseline: true })));
      const second = await store.recordSnapshots([
        ...files.map((f, i) => snap(f, text(i, 'feature'))),
        // the same bytes twice and a hash-only record of bytes stored earlier in this very batch
        snap('/etc/nginx/copy.conf', text(0, 'feature'), { changeType: 'created' }),
        snap('/etc/nginx/sites/site1.conf', undefined, { changeType: 'metadata', contentHash: sha256(text(1, 'feature')), mode: 0o600 }),
      ]);
      expect(first).toHaveLength(1_500);
      expect(second).toHaveLength(1_502);
      expect(second.map((s) => s.path)).toEqual([...files, '/etc/nginx/copy.conf', '/etc/nginx/sites/site1.conf']);
      expect(second[1_500]!.contentHash).toBe(second[0]!.contentHash);
      expect(second[1_501]).toMatchObject({ hasContent: true, previousId: second[1]!.id, mode: 0o600 });
      expect(second[7]!.previousId).toBe(first[7]!.id);
      expect((await store.readContent(second[7]!)).toString()).toBe(text(7, 'feature'));

      const tracked = await store.getTrackedFiles('web-1', [files[1]!, files[7]!, '/etc/nginx/untracked.conf']);
      expect(tracked.map((t) => t.path).sort()).toEqual([files[1], files[7]]);
      const site1 = tracked.find((t) => t.path === files[1])!;
      expect(site1).toMatchObject({ latestSnapshotId: second[1_501]!.id, baselineSnapshotId: first[1]!.id, mode: 0o600 });
      expect(await store.listTrackedFiles('web-1')).toHaveLength(1_501);

      const counts = await store.db
        .selectFrom('blobs')
        .select(['encoding', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('encoding')
        .execute();
      expect(Object.fromEntries(counts.map((c) => [c.encoding, Number(c.n)]))).toEqual({ full: 1_500, delta: 1_500 });
      const fresh = await reopen(0);
      expect((await fresh.readContent(second[1_499]!)).toString()).toBe(text(1_499, 'feature'));
      await fresh.close();
    });

    it('moves the devices revision forward with every device added, changed or removed, and has no device_state table', async () => {
      const start = await store.devicesRevision();
      await store.addDevice(device, [profile]);
      const added = await store.devicesRevision();
      expect(added).toBeGreaterThan(start);
      await store.updateDevice('web-1', { mode: 'polling' });
      const updated = await store.devicesRevision();
      expect(updated).toBeGreaterThan(added);
      await expectCode(store.addDevice(device, []), 'CW_ERR_ALREADY_EXISTS');
      expect(await store.devicesRevision()).toBe(updated);
      await store.removeDevice('web-1');
      const removed = await store.devicesRevision();
      expect(removed).toBeGreaterThan(updated);
      expect(await store.removeDevice('web-1')).toBe(false);
      expect(await store.devicesRevision()).toBe(removed);
      await expect(sql`select 1 from device_state`.execute(store.db)).rejects.toThrow(/device_state/);
    });

    it('keeps a file deleted by a write-back in sync: its baseline is "absent"', async () => {
      const path = '/etc/app/old.conf';
      await store.recordSnapshots([snap(path, 'x\n', { changeType: 'initial' })]);
      await store.updateTrackedFile('web-1', path, { lastError: 'restore: validation refused it' });
      await store.recordSnapshots([snap(path, undefined, { changeType: 'deleted', source: 'batch', setBaseline: true })]);
      expect(await store.getTrackedFile('web-1', path)).toMatchObject({ deleted: true, syncStatus: 'synced', lastError: null });
      // the watcher's own record of that delete changes nothing
      await store.recordSnapshots([snap(path, undefined, { changeType: 'deleted', source: 'realtime' })]);
      expect(await store.getTrackedFile('web-1', path)).toMatchObject({ deleted: true, syncStatus: 'synced' });
    });

    it('records tombstones, metadata-only and hash-only snapshots', async () => {
      const path = '/etc/ssh/sshd_config';
      const [created] = await store.recordSnapshots([snap(path, 'Port 22\n', { changeType: 'created', mode: 0o644 })]);
      const [metadata] = await store.recordSnapshots([
        snap(path, undefined, { changeType: 'metadata', contentHash: created!.contentHash, mode: 0o600 }),
      ]);
      expect(metadata).toMatchObject({ hasContent: true, contentHash: created!.contentHash, mode: 0o600 });
      expect((await store.readContent(metadata!)).toString()).toBe('Port 22\n');

      const [tombstone] = await store.recordSnapshots([snap(path, undefined, { changeType: 'deleted' })]);
      expect(tombstone).toMatchObject({ contentHash: null, hasContent: false, changeType: 'deleted' });
      expect(await store.getTrackedFile('web-1', path)).toMatchObject({ deleted: true, contentHash: null, syncStatus: 'missing' });
      await expectCode(store.readContent(tombstone!), 'CW_ERR_NOT_FOUND');

      const [recreated] = await store.recordSnapshots([snap(path, 'Port 2222\n', { changeType: 'created' })]);
      expect(await store.getTrackedFile('web-1', path)).toMatchObject({ deleted: false, latestSnapshotId: recreated!.id });

      const bigHash = 'f'.repeat(64);
      const [large] = await store.recordSnapshots([
        snap('/srv/big.iso', undefined, { changeType: 'initial', contentHash: bigHash, size: 5_000_000_000 }),
      ]);
      expect(large).toMatchObject({ hasContent: false, contentHash: bigHash, size: 5_000_000_000 });
      await expectCode(store.readContent(large!), 'CW_ERR_NOT_FOUND');
    });

    it('pages history newest first with an opaque cursor', async () => {
      const path = '/etc/nginx/site.conf';
      for (let i = 0; i < 7; i++) await store.recordSnapshots([snap(path, `version ${i}\n`)]);
      const seen: string[] = [];
      let cursor: string | null = null;
      const sizes: number[] = [];
      do {
        const page = await store.history('web-1', path, { limit: 3, cursor });
        sizes.push(page.items.length);
        for (const item of page.items) seen.push((await store.readContent(item)).toString());
        cursor = page.nextCursor;
      } while (cursor);
      expect(sizes).toEqual([3, 3, 1]);
      expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `version ${6 - i}\n`));
      expect((await store.latestSnapshot('web-1', path))?.id).toBe((await store.history('web-1', path, { limit: 1 })).items[0]!.id);
    });

    it('finds the version at a time and everything since a time', async () => {
      const times = ['2024-01-01T00:00:00.000Z', '2024-01-02T00:00:00.000Z', '2024-01-03T00:00:00.000Z'];
      const stored = await store.recordSnapshots(times.map((t, i) => snap('/etc/x.conf', `v${i}`, { detectedAt: t })));
      await store.recordSnapshots([snap('/etc/y.conf', 'y', { detectedAt: '2024-01-02T12:00:00+02:00' })]);

      expect((await store.snapshotAt('web-1', '/etc/x.conf', '2024-01-02T23:59:59Z'))?.id).toBe(stored[1]!.id);
      expect(await store.snapshotAt('web-1', '/etc/x.conf', '2023-12-31T00:00:00Z')).toBeUndefined();
      const since = await store.snapshotsSince('web-1', '2024-01-01T00:00:00Z');
      expect(since.map((s) => [s.path, s.detectedAt])).toEqual([
        ['/etc/x.conf', '2024-01-02T00:00:00.000Z'],
        ['/etc/y.conf', '2024-01-02T10:00:00.000Z'],
        ['/etc/x.conf', '2024-01-03T00:00:00.000Z'],
      ]);
    });

    it('keeps tracked files: first snapshot is the baseline, stat cache and statuses update', async () => {
      const path = '/etc/nginx/nginx.conf';
      const [first] = await store.recordSnapshots([snap(path, 'a', { changeType: 'initial', size: 1, mtimeMs: 1700000000123.5, ino: 42 })]);
      const [second] = await store.recordSnapshots([snap(path, 'b')]);
      expect(await store.getTrackedFile('web-1', path)).toMatchObject({
        latestSnapshotId: second!.id,
        baselineSnapshotId: first!.id,
        contentHash: second!.contentHash,
        deleted: false,
        validationStatus: 'pending',
      });
      await store.updateTrackedFile('web-1', path, { syncStatus: 'drifted', validationStatus: 'valid', mtimeMs: 5.25, ino: 7, lastError: 'x' });
      const [third] = await store.recordSnapshots([snap(path, 'c', { setBaseline: true, source: 'restore' })]);
      expect(await store.getTrackedFile('web-1', path)).toMatchObject({ baselineSnapshotId: third!.id, syncStatus: 'synced' });
      await store.updateTrackedFile('web-1', path, { mtimeMs: 5.25, ino: 7 });
      expect(await store.getTrackedFile('web-1', path)).toMatchObject({ mtimeMs: 5.25, ino: 7 });
      await expectCode(store.updateTrackedFile('web-1', '/nope', { syncStatus: 'error' }), 'CW_ERR_NOT_FOUND');

      await store.recordSnapshots([{ ...snap('/etc/other', 'o'), device: 'web-2' }]);
      expect((await store.listTrackedFiles('web-1')).map((f) => f.path)).toEqual([path]);
      expect(await store.listTrackedFiles()).toHaveLength(2);
    });

    it('tracks file names that are not UTF-8 under their exact RemotePath', async () => {
      const path = `b64:${Buffer.from([0x2f, 0x74, 0xff, 0x0a]).toString('base64')}`;
      const [stored] = await store.recordSnapshots([snap(path, 'x')]);
      expect((await store.getSnapshot(stored!.id))?.path).toBe(path);
    });

    it('opens, closes and lists change sets and links snapshots to them', async () => {
      const set = await store.openChangeSet('web-1', 'pending', '2024-05-01T10:00:00Z');
      const [stored] = await store.recordSnapshots([snap('/a', 'a', { changeSetId: set.id })]);
      await store.closeChangeSet(set.id, 'Proxy config bulk update (1 files)', 1, '2024-05-01T10:00:02Z');
      expect(await store.getChangeSet(set.id)).toEqual({
        id: set.id,
        device: 'web-1',
        title: 'Proxy config bulk update (1 files)',
        count: 1,
        openedAt: '2024-05-01T10:00:00.000Z',
        closedAt: '2024-05-01T10:00:02.000Z',
      });
      expect(stored!.changeSetId).toBe(set.id);
      await store.openChangeSet('web-2', 'other', '2024-05-01T11:00:00Z');
      expect((await store.listChangeSets('web-1')).map((c) => c.id)).toEqual([set.id]);
      expect(await store.listChangeSets()).toHaveLength(2);
    });

    it('attaches analysis results as JSON', async () => {
      const [stored] = await store.recordSnapshots([snap('/a', 'a')]);
      const validation = { status: 'invalid', tool: 'nginx -t', output: 'boom', durationMs: 12 } as const;
      await store.annotateSnapshot(stored!.id, { parsed: { n: [1, true, null] }, parseErrors: [{ message: 'bad', line: 3 }], validation });
      expect(await store.getSnapshot(stored!.id)).toMatchObject({
        parsed: { n: [1, true, null] },
        parseErrors: [{ message: 'bad', line: 3 }],
        validation,
        impact: null,
      });
    });

    it('appends to the audit log and lists it newest first; the store offers no way to change it', async () => {
      await store.appendAudit({ actor: 'admin', action: 'device.add', target: 'web-1', clientAddress: '127.0.0.1', result: 'ok', details: { a: 1 } });
      await store.appendAudit({ actor: 'bob', action: 'restore', target: null, clientAddress: null, result: 'denied', details: null });
      const entries = await store.listAudit();
      expect(entries.map((e) => [e.actor, e.result, e.details])).toEqual([
        ['bob', 'denied', null],
        ['admin', 'ok', { a: 1 }],
      ]);
      expect(entries[0]!.id).toBeGreaterThan(entries[1]!.id);
      const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(store)).filter((m) => /audit/i.test(m));
      expect(methods.sort()).toEqual(['appendAudit', 'listAudit']);
    });

    it('rotates the master key while reads keep working', async () => {
      const versions = Array.from({ length: 40 }, (_, i) => `server_name host${i};\n`.repeat(50));
      for (const v of versions) await store.recordSnapshots([snap('/etc/nginx/r.conf', v)]);
      await store.addDevice(device, []);
      const history = (await store.history('web-1', '/etc/nginx/r.conf', { limit: 100 })).items.reverse();
      const oldKeyId = store.keyRing.current.id;

      const reader = await reopen(0);
      let rotating = true;
      let reads = 0;
      const readLoop = (async () => {
        while (rotating) {
          for (const [i, s] of history.entries()) {
            expect((await reader.readContent(s)).toString()).toBe(versions[i]);
            reads++;
          }
          // SQLite answers synchronously: yield to timers so the rotation can proceed.
          await setImmediate();
        }
      })();
      readLoop.catch(() => undefined); // awaited below; keeps a failing read from going unhandled meanwhile
      const progress: number[] = [];
      const result = await rotateMasterKey(target.home, store, (done) => progress.push(done));
      rotating = false;
      await readLoop;
      await reader.close();

      expect(reads).toBeGreaterThan(0);
      expect(result).toMatchObject({ blobs: 40, secrets: 1, retiredKeyIds: [oldKeyId] });
      expect(progress).toHaveLength(41);
      const keyFile = readFileSync(join(target.home, MASTER_KEY_FILE), 'utf8').trim().split('\n');
      expect(keyFile).toHaveLength(1);
      expect(keyFile[0]!.startsWith(`${result.keyId}:`)).toBe(true);
      const keyIds = await store.db.selectFrom('blobs').select('key_id').distinct().execute();
      expect(keyIds).toEqual([{ key_id: result.keyId }]);

      const after = await reopen(0);
      expect((await after.readContent(history[17]!)).toString()).toBe(versions[17]);
      expect(await after.getDevicePassphrase('web-1')).toBe('correct horse');
      await after.close();
    });

    it('rejects a tampered blob with CW_ERR_CRYPTO', async () => {
      const [stored] = await store.recordSnapshots([snap('/a', 'secret content')]);
      const row = await store.db.selectFrom('blobs').select('data').executeTakeFirstOrThrow();
      const data = Buffer.from(row.data);
      data[20]! ^= 1;
      await store.db.updateTable('blobs').set({ data }).execute();
      const fresh = await reopen(0);
      await expectCode(fresh.readContent(stored!), 'CW_ERR_CRYPTO');
      await fresh.close();
    });

    it('keeps file contents and passphrases out of the database in clear', async () => {
      const marker = `CW-MARKER-${Math.random().toString(36).slice(2)}`;
      await store.addDevice({ ...device, passphrase: `${marker}-pass` }, []);
      await store.recordSnapshots([snap('/etc/nginx/m.conf', `# ${marker}\n`.repeat(3))]);
      await store.close();
      const dump = dialect === 'sqlite' ? sqliteBytes(target.home) : pgDump(target.schema!);
      expect(dump.length).toBeGreaterThan(1000);
      expect(dump.includes('/etc/nginx/m.conf')).toBe(true);
      expect(dump.includes(marker)).toBe(false);
      store = await reopen();
    });
  });
}

function sqliteBytes(home: string): Buffer {
  const files = ['confwatch.db', 'confwatch.db-wal'].map((f) => join(home, f)).filter((f) => existsSync(f));
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

function pgDump(schema: string): Buffer {
  return execFileSync('pg_dump', ['--dbname', POSTGRES_URL, '--schema', schema, '--data-only']);
}

describe('opening a database that cannot be used', () => {
  it('names a bad PostgreSQL URL without its password', async () => {
    const error = await expectCode(openDatabase('postgres://admin:s3cr3t-pw@127.0.0.1:1/confwatch', '/nonexistent'), 'CW_ERR_DB_CONNECT');
    expect(error.message).toContain('postgres://admin:***@127.0.0.1:1/confwatch');
    expect(error.message).not.toContain('s3cr3t-pw');
  });

  it('refuses other URL schemes, still without the password', async () => {
    const error = await expectCode(openDatabase('mysql://admin:s3cr3t-pw@db/confwatch', '/nonexistent'), 'CW_ERR_DB_CONNECT');
    expect(error.message).not.toContain('s3cr3t-pw');
    expect(error.message).toContain('mysql://admin:***@db/confwatch');
  });
});
