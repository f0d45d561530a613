/**
 * The git mirror through the real git: one commit per change set in time
 * order with the actor as author and the detection time as date, trailers,
 * secrets redacted, metadata beside the files, incremental re-runs, and a
 * repository `git fsck` accepts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { commandExists, describeWith } from '../helpers/components.js';
import { openTempStore, type TempStore } from '../helpers/store.js';
import { archiveService, MARKER, SECRET, seedHistory } from './archive-fixture.js';

const git = (dir: string, ...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' });

describeWith('git', commandExists('git'), 'git mirror', () => {
  let source: TempStore;
  let dir: string;
  beforeAll(async () => {
    source = await openTempStore('cw-git-');
    await seedHistory(source.store);
    dir = mkdtempSync(join(tmpdir(), 'cw-mirror-'));
  });
  afterAll(async () => {
    await source?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one commit per change set with authors, dates and trailers; re-runs append only new ones', async () => {
    const mirror = join(dir, 'mirror.git');
    const service = archiveService(source.store);
    const first = await service.gitMirror(mirror);
    // 9 versions: the two of the change set share one commit
    expect(first).toMatchObject({ commits: 8, versions: 8, redacted: true });

    const log = git(mirror, 'log', '--reverse', '--format=%an <%ae>|%aI|%s|%(trailers:key=Device,valueonly,separator=)|%(trailers:key=Confwatch-Last-Version,valueonly,separator=)', 'main')
      .trim()
      .split('\n');
    expect(log).toHaveLength(8);
    expect(log[0]).toMatch(/^confwatch rescan@web <rescan@web>\|2026-11-01T10:01:00\+00:00\|initial \/etc\/app\/app\.conf\|web\|[0-9A-Z]{26}$/);
    const changeSet = log.find((l) => l.includes('|port change|'));
    expect(changeSet).toMatch(/^alice <alice@web>\|2026-11-01T10:05:00\+00:00\|port change\|web\|/);
    expect(log.find((l) => l.startsWith('bob '))).toMatch(/^bob <bob@web>\|2026-11-01T10:09:00\+00:00\|modified \/etc\/app\/app\.conf\|web\|/);
    expect(log.find((l) => l.startsWith('carol '))).toMatch(/\|deleted \/etc\/app\/old\.conf\|db\|/);

    // the tree: <device>/<absolute path>, deleted files gone, metadata beside them, secrets redacted
    const files = git(mirror, 'ls-tree', '-r', '--name-only', 'main').trim().split('\n').sort();
    expect(files).toEqual(['db/.confwatch-metadata', 'db/etc/app/db.conf', 'web/.confwatch-metadata', 'web/etc/app/.env', 'web/etc/app/app.conf']);
    expect(git(mirror, 'show', 'main:web/etc/app/app.conf')).toBe(`listen 8081\n# ${MARKER}\n`);
    expect(git(mirror, 'show', 'main:web/.confwatch-metadata')).toContain('0600 0 0 "etc/app/.env"');
    const everything = git(mirror, 'log', '-p', '--all');
    expect(everything).not.toContain(SECRET);
    expect(git(mirror, 'show', 'main:web/etc/app/.env')).toContain('DB_PASSWORD=«redacted»');
    git(mirror, 'fsck', '--strict', '--no-progress');

    // nothing new: nothing appended
    expect(await service.gitMirror(mirror)).toMatchObject({ commits: 0, versions: 0 });

    // two new change sets: exactly two commits, on top of the old tip
    const tip = git(mirror, 'rev-parse', 'main').trim();
    const set = await source.store.openChangeSet('db', 'tune pool', '2026-11-01T11:00:00.000Z');
    const [tuned] = await source.store.recordSnapshots([
      { device: 'db', path: '/etc/app/db.conf', configType: 'generic', profile: 'custom', changeType: 'modified', source: 'realtime', content: Buffer.from('max_connections 300\n'), detectedAt: '2026-11-01T11:00:00.000Z', changeSetId: set.id, actor: 'dave' },
      { device: 'db', path: '/etc/app/pool.conf', configType: 'generic', profile: 'custom', changeType: 'created', source: 'realtime', content: Buffer.from('size 10\n'), detectedAt: '2026-11-01T11:00:00.000Z', changeSetId: set.id, actor: 'dave' },
    ]);
    await source.store.recordSnapshots([
      { device: 'web', path: '/etc/app/app.conf', configType: 'generic', profile: 'custom', changeType: 'modified', source: 'realtime', content: Buffer.from('listen 443\n'), detectedAt: '2026-11-01T11:05:00.000Z', mode: 0o755 },
    ]);
    await source.store.annotateSnapshot(tuned!.id, { impact: { riskLevel: 'high', reasons: [] } });
    expect(await service.gitMirror(mirror)).toMatchObject({ commits: 2, versions: 3 });
    expect(git(mirror, 'log', '-1', '--skip=1', '--format=%(trailers:key=Risk,valueonly,separator=)', 'main').trim()).toBe('high');
    expect(git(mirror, 'rev-list', '--count', `${tip}..main`).trim()).toBe('2');
    expect(git(mirror, 'log', '-1', '--skip=1', '--format=%an|%s', 'main').trim()).toBe('dave|tune pool');
    expect(git(mirror, 'ls-tree', 'main', 'web/etc/app/app.conf')).toMatch(/^100755 /);
    expect(git(mirror, 'show', 'main:db/.confwatch-metadata')).toContain('"etc/app/pool.conf"');
    git(mirror, 'fsck', '--strict', '--no-progress');
  });

  it('keeps secrets with redact: false', async () => {
    const mirror = join(dir, 'plain.git');
    await archiveService(source.store).gitMirror(mirror, { redact: false, devices: ['web'] });
    expect(git(mirror, 'log', '-p', 'main')).toContain(SECRET);
    expect(git(mirror, 'ls-tree', '-r', '--name-only', 'main')).not.toContain('db/');
  });
});
