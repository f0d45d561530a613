/**
 * Restore against a real sshd and real nginx: conflicts, watched globs,
 * validation refusal, dry runs, mode preservation, recreated parents.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { restoreSnapshot } from '../../src/writeback/restore.js';
import { commandExists, missingOutsideCi } from '../helpers/components.js';
import { type Bed, createBed, describeOnDialects, type Host } from './harness.js';

const nginxPresent = commandExists('nginx') || existsSync('/usr/sbin/nginx');

describeOnDialects('restore over ssh', (dialect) => {
  let bed: Bed;
  let host: Host;
  beforeAll(async () => {
    bed = await createBed({ hosts: 1, dialect });
    host = bed.hosts[0]!;
  });
  afterAll(async () => bed?.dispose());

  const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.includes('.confwatch-'));

  it('writes an earlier version back atomically, keeps the mode, stores a restore snapshot as the baseline', async () => {
    const file = join(host.root, 'app.conf');
    writeFileSync(file, 'v1\n');
    const v1 = await bed.capture(host, file, Buffer.from('v1\n'));
    writeFileSync(file, 'v2\n');
    chmodSync(file, 0o640);
    await bed.capture(host, file, Buffer.from('v2\n'));

    const result = await restoreSnapshot(bed.deps, { snapshotId: v1, actor: 'alice' });
    expect(readFileSync(file, 'utf8')).toBe('v1\n');
    expect(statSync(file).mode & 0o7777).toBe(0o640);
    expect(result.status).toBe('applied');
    const stored = await bed.store.getSnapshot(result.files[0]!.snapshotId!);
    expect(stored).toMatchObject({ source: 'restore', actor: 'alice', changeType: 'modified' });
    const tracked = await bed.store.getTrackedFile(host.device.name, file);
    expect(tracked).toMatchObject({ baselineSnapshotId: stored!.id, syncStatus: 'synced' });
    expect(bed.events.some((e) => e.type === 'writeback.applied' && e.snapshotIds.includes(stored!.id))).toBe(true);
    expect(leftovers(host.root)).toEqual([]);
  });

  it('refuses to overwrite a change confwatch has not seen, unless forced (and then keeps that version)', async () => {
    const file = join(host.root, 'conflict.conf');
    writeFileSync(file, 'old\n');
    const old = await bed.capture(host, file, Buffer.from('old\n'));
    writeFileSync(file, 'edited by hand\n');
    await expect(restoreSnapshot(bed.deps, { snapshotId: old, actor: 'a' })).rejects.toMatchObject({ code: 'CW_ERR_WRITEBACK_CONFLICT' });
    expect(readFileSync(file, 'utf8')).toBe('edited by hand\n');

    await restoreSnapshot(bed.deps, { snapshotId: old, actor: 'a', force: true });
    expect(readFileSync(file, 'utf8')).toBe('old\n');
    const history = await bed.store.history(host.device.name, file);
    const handEdit = history.items.find((s) => s.source === 'rescan');
    expect(handEdit && (await bed.store.readContent(handEdit)).toString()).toBe('edited by hand\n');
  });

  it('refuses a path outside the watched globs unless forced', async () => {
    const outside = `${host.root}-outside.conf`;
    writeFileSync(outside, 'x\n');
    try {
      const id = await bed.capture(host, outside, Buffer.from('y\n'));
      writeFileSync(outside, 'y\n');
      await expect(restoreSnapshot(bed.deps, { snapshotId: id, actor: 'a' })).rejects.toMatchObject({ code: 'CW_ERR_WRITEBACK_OUTSIDE_PROFILE' });
      await expect(restoreSnapshot(bed.deps, { snapshotId: id, actor: 'a', force: true })).resolves.toMatchObject({ status: 'applied' });
    } finally {
      rmSync(outside, { force: true });
    }
  });

  it('dry run shows the diff and changes nothing', async () => {
    const file = join(host.root, 'dry.conf');
    writeFileSync(file, 'a\nb\n');
    const first = await bed.capture(host, file, Buffer.from('a\nb\n'));
    writeFileSync(file, 'a\nc\n');
    await bed.capture(host, file, Buffer.from('a\nc\n'));
    const result = await restoreSnapshot(bed.deps, { snapshotId: first, actor: 'a', dryRun: true });
    expect(result.status).toBe('dry-run');
    expect(result.files[0]!.diff).toMatch(/-c\n\+b\n/);
    expect(readFileSync(file, 'utf8')).toBe('a\nc\n');
  });

  it('recreates a deleted file and its parent directory; restoring a tombstone deletes the file', async () => {
    const dir = join(host.root, 'gone', 'deeper');
    const file = join(dir, 'unit.conf');
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, 'keep me\n');
    chmodSync(file, 0o600);
    const kept = await bed.capture(host, file, Buffer.from('keep me\n'));
    rmSync(join(host.root, 'gone'), { recursive: true });
    const tombstone = await bed.capture(host, file, null);
    await restoreSnapshot(bed.deps, { snapshotId: kept, actor: 'a' });
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
    expect((await bed.store.latestSnapshot(host.device.name, file))?.changeType).toBe('created');
    await restoreSnapshot(bed.deps, { snapshotId: tombstone, actor: 'a' });
    expect(existsSync(file)).toBe(false);
  });

  it.skipIf(missingOutsideCi(nginxPresent))('refuses a candidate nginx conf that nginx -t rejects, and writes nothing', async () => {
    const root = join(host.root, 'nginx');
    mkdirSync(join(root, 'conf.d'), { recursive: true });
    writeFileSync(join(root, 'nginx.conf'), `error_log stderr;\npid ${join(root, 'nginx.pid')};\nevents {}\nhttp {\n  access_log off;\n  include ${root}/conf.d/*.conf;\n}\n`);
    const conf = join(root, 'conf.d', 'site.conf');
    const broken = await bed.capture(host, conf, Buffer.from('server { listen 127.0.0.1:18090;\n'), 'nginx');
    writeFileSync(conf, 'server { listen 127.0.0.1:18090; }\n');
    await bed.capture(host, conf, Buffer.from('server { listen 127.0.0.1:18090; }\n'), 'nginx');
    const error = await restoreSnapshot(bed.deps, { snapshotId: broken, actor: 'a' }).catch((e) => e);
    expect(error).toMatchObject({ code: 'CW_ERR_WRITEBACK_INVALID' });
    expect(error.details.files[0].validation).toMatchObject({ status: 'invalid', tool: 'nginx -t' });
    expect(error.details.files[0].validation.output).toMatch(/unexpected end of file/);
    expect(readFileSync(conf, 'utf8')).toBe('server { listen 127.0.0.1:18090; }\n');
    expect(leftovers(join(root, 'conf.d'))).toEqual([]);
    expect((await bed.store.getTrackedFile(host.device.name, conf))?.validationStatus).toBe('invalid');
  });
});
