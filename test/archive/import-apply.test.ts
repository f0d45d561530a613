/**
 * `import --apply` to a second host over a real sshd: the archive's files
 * go through the write-back batch engine (dry run shows the diffs against
 * the live bytes; a live file that changed since its latest snapshot
 * refuses the whole batch; otherwise every file is written and stored).
 */
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConfwatchError } from '../../src/errors.js';
import { runBatch } from '../../src/writeback/batch.js';
import { describeWithSshd } from '../helpers/sshd.js';
import { customProfile, openTempStore, type TempStore } from '../helpers/store.js';
import { type Bed, createBed } from '../writeback/harness.js';
import { archiveService } from './archive-fixture.js';

describeWithSshd('import --apply to a host over SSH', () => {
  let bed: Bed;
  let source: TempStore;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    bed = await createBed({ hosts: 1 });
    source = await openTempStore('cw-apply-src-');
    dir = mkdtempSync(join(tmpdir(), 'cw-apply-'));
    const root = bed.hosts[0]!.root;
    // the first instance knows the device by the same name, on another host
    await source.store.addDevice(
      { name: 'host0', transport: 'ssh', host: 'old-host.example', port: 22, user: 'ops', identityFile: null, hostKey: null, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] },
      [customProfile('host0', [`${root}/**`])],
    );
    const at = new Date().toISOString();
    await source.store.recordSnapshots([
      { device: 'host0', path: `${root}/a.conf`, configType: 'generic', profile: 'custom', changeType: 'modified', source: 'poll', content: Buffer.from('new a\n'), detectedAt: at, mode: 0o640 },
      { device: 'host0', path: `${root}/sub/b.conf`, configType: 'generic', profile: 'custom', changeType: 'created', source: 'poll', content: Buffer.from('new b\n'), detectedAt: at, mode: 0o644 },
    ]);
    file = join(dir, 'fleet.tar.gz');
    await archiveService(source.store).export(createWriteStream(file));
  });
  afterAll(async () => {
    await source?.close();
    await bed?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const service = () =>
    archiveService(bed.store, {
      applyChanges: (changes, options) => runBatch(bed.deps, changes, { operation: options.operation, source: 'import', actor: options.actor, validate: true, ...(options.dryRun ? { dryRun: true } : {}) }),
    });

  it('previews, refuses a conflicting live file as a whole, then writes every file', async () => {
    const root = bed.hosts[0]!.root;
    const a = join(root, 'a.conf');
    const b = join(root, 'sub', 'b.conf');
    writeFileSync(a, 'old a\n');
    await bed.capture(bed.hosts[0]!, a, Buffer.from('old a\n'));

    const preview = await service().import(file, { mode: 'dry-run', actor: 'tester' });
    expect(preview.dryRun).toBe(true);
    const diffA = preview.files!.find((f) => f.path === a)!;
    expect(diffA.action).toBe('write');
    expect(diffA.diff).toContain('-old a');
    expect(diffA.diff).toContain('+new a');
    expect(preview.files!.find((f) => f.path === b)?.action).toBe('write');
    expect(readFileSync(a, 'utf8')).toBe('old a\n');
    expect(existsSync(b)).toBe(false);

    // someone edits a.conf behind confwatch's back: the batch is refused, b.conf not written either
    writeFileSync(a, 'edited live\n');
    const error = await service()
      .import(file, { mode: 'apply', actor: 'tester' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ConfwatchError);
    expect((error as ConfwatchError).code).toBe('CW_ERR_WRITEBACK_CONFLICT');
    expect(readFileSync(a, 'utf8')).toBe('edited live\n');
    expect(existsSync(b)).toBe(false);

    writeFileSync(a, 'old a\n');
    const applied = await service().import(file, { mode: 'apply', actor: 'tester' });
    expect(applied.dryRun).toBe(false);
    expect(applied.files!.map((f) => f.action).sort()).toEqual(['write', 'write']);
    expect(readFileSync(a, 'utf8')).toBe('new a\n');
    expect(readFileSync(b, 'utf8')).toBe('new b\n');
    const stored = await bed.store.latestSnapshot('host0', b);
    expect(stored).toMatchObject({ source: 'import', actor: 'tester' });
    expect((await bed.store.readContent(stored!)).toString()).toBe('new b\n');
  });
});
