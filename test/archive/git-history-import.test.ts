/**
 * `import --from etckeeper|oxidized DIR --device D`: a real git repository's
 * commits become versions dated and authored as the commits, one change
 * set per commit; running it again adds nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ArchiveRepository } from '../../src/store/archive.repository.js';
import type { SnapshotRecord } from '../../src/store/records.js';
import { commandExists, describeWith } from '../helpers/components.js';
import { customProfile, openTempStore, type TempStore } from '../helpers/store.js';
import { archiveService } from './archive-fixture.js';

function commit(repo: string, author: string, date: string, message: string): void {
  execFileSync('git', ['-C', repo, 'add', '-A'], { stdio: 'ignore' });
  execFileSync('git', ['-C', repo, '-c', `user.name=${author}`, '-c', `user.email=${author.toLowerCase()}@example.com`, 'commit', '-q', '-m', message], {
    env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
}

describeWith('git', commandExists('git'), 'importing etckeeper and oxidized history', () => {
  let target: TempStore;
  let dir: string;
  beforeAll(async () => {
    target = await openTempStore('cw-git-import-');
    for (const name of ['web', 'net']) {
      await target.store.addDevice(
        { name, transport: 'ssh', host: `${name}.example`, port: 22, user: 'ops', identityFile: null, hostKey: null, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] },
        [customProfile(name, ['/etc/**'])],
      );
    }
    dir = mkdtempSync(join(tmpdir(), 'cw-git-import-'));
  });
  afterAll(async () => {
    await target?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const versions = async (device: string): Promise<SnapshotRecord[]> => {
    const out: SnapshotRecord[] = [];
    for await (const page of new ArchiveRepository(target.store).versions([device])) out.push(...page);
    return out;
  };

  it('reads an etckeeper /etc history: authors, dates, deletes, change sets; a re-run adds nothing', async () => {
    const repo = join(dir, 'etc');
    mkdirSync(join(repo, 'nginx'), { recursive: true });
    execFileSync('git', ['init', '-q', repo]);
    writeFileSync(join(repo, '.etckeeper'), 'maybe chmod 0644 ./hosts\n');
    writeFileSync(join(repo, 'hosts'), '127.0.0.1 localhost\n');
    writeFileSync(join(repo, 'nginx', 'nginx.conf'), 'events {}\n');
    symlinkSync('nginx/nginx.conf', join(repo, 'link.conf'));
    commit(repo, 'Alice', '2026-01-02T03:04:05Z', 'daily autocommit');
    writeFileSync(join(repo, 'nginx', 'nginx.conf'), 'events {}\nhttp {}\n');
    commit(repo, 'Bob', '2026-01-03T00:00:00Z', 'add http block');
    unlinkSync(join(repo, 'hosts'));
    commit(repo, 'Carol', '2026-01-04T00:00:00Z', 'drop hosts');

    const service = archiveService(target.store);
    const preview = await service.importGitHistory(repo, { from: 'etckeeper', device: 'web', dryRun: true });
    expect(preview).toMatchObject({ commits: 3, versions: 4, alreadyPresent: 0, skipped: [{ path: '/etc/link.conf', reason: 'a symbolic link in the repository' }] });
    expect(await versions('web')).toEqual([]);

    const result = await service.importGitHistory(repo, { from: 'etckeeper', device: 'web' });
    expect(result).toMatchObject({ commits: 3, versions: 4 });
    const stored = await versions('web');
    // versions of one commit share its time; their order among themselves is not defined
    const byTime = (a: unknown[], b: unknown[]) => String(a[3]).localeCompare(String(b[3])) || String(a[0]).localeCompare(String(b[0]));
    expect(stored.map((v) => [v.path, v.changeType, v.actor, v.detectedAt, v.source]).sort(byTime)).toEqual([
      ['/etc/hosts', 'initial', 'Alice', '2026-01-02T03:04:05.000Z', 'import'],
      ['/etc/nginx/nginx.conf', 'initial', 'Alice', '2026-01-02T03:04:05.000Z', 'import'],
      ['/etc/nginx/nginx.conf', 'modified', 'Bob', '2026-01-03T00:00:00.000Z', 'import'],
      ['/etc/hosts', 'deleted', 'Carol', '2026-01-04T00:00:00.000Z', 'import'],
    ]);
    const nginx = await target.store.latestSnapshot('web', '/etc/nginx/nginx.conf');
    expect((await target.store.readContent(nginx!)).toString()).toBe('events {}\nhttp {}\n');
    expect(nginx!.configType).toBe('nginx');
    expect((await target.store.getChangeSet(nginx!.changeSetId!))?.title).toBe('add http block');
    expect(await target.store.getTrackedFile('web', '/etc/hosts')).toMatchObject({ deleted: true });

    expect(await service.importGitHistory(repo, { from: 'etckeeper', device: 'web' })).toMatchObject({ commits: 0, versions: 0, alreadyPresent: 4 });
    expect(await versions('web')).toHaveLength(4);
  });

  it('reads an oxidized repository, one file per node', async () => {
    const repo = join(dir, 'oxidized');
    mkdirSync(join(repo, 'core'), { recursive: true });
    execFileSync('git', ['init', '-q', repo]);
    writeFileSync(join(repo, 'core', 'sw1'), 'hostname sw1\n');
    commit(repo, 'oxidized', '2026-02-01T00:00:00Z', 'update core/sw1');
    writeFileSync(join(repo, 'core', 'sw1'), 'hostname sw1\nntp server 10.0.0.1\n');
    commit(repo, 'oxidized', '2026-02-02T00:00:00Z', 'update core/sw1');
    await archiveService(target.store).importGitHistory(repo, { from: 'oxidized', device: 'net' });
    const stored = await versions('net');
    expect(stored.map((v) => [v.path, v.changeType, v.detectedAt])).toEqual([
      ['/core/sw1', 'initial', '2026-02-01T00:00:00.000Z'],
      ['/core/sw1', 'modified', '2026-02-02T00:00:00.000Z'],
    ]);
  });
});
