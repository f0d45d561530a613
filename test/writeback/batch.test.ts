/**
 * Atomic batches over two real sshd hosts: a commit that fails on the
 * second host is undone on the first, an expectHash mismatch refuses the
 * whole batch, and recovery cleans what a failed undo left.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sha256Hex } from '../../src/hash.js';
import type { Transport } from '../../src/transport/transport.js';
import { runBatch } from '../../src/writeback/batch.js';
import { recoverBatches } from '../../src/writeback/batch-recovery.js';
import { checkDrift } from '../../src/writeback/drift.js';
import { commandExists, missingOutsideCi } from '../helpers/components.js';
import { type Bed, createBed, describeOnDialects, transportFor } from './harness.js';

describeOnDialects('atomic batches over two hosts', (dialect) => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await createBed({ hosts: 2, dialect });
  });
  afterAll(async () => bed?.dispose());

  async function seed(name: string, host: 0 | 1, content: string): Promise<string> {
    const h = bed.hosts[host]!;
    const path = join(h.root, name);
    writeFileSync(path, content);
    await bed.capture(h, path, Buffer.from(content));
    return path;
  }
  const leftovers = () => bed.hosts.flatMap((h) => readdirSync(h.root).filter((n) => n.includes('.confwatch-')));

  it('writes three files on two hosts and records batch snapshots as baselines', async () => {
    const a = await seed('a.conf', 0, 'a1\n');
    const b = await seed('b.conf', 0, 'b1\n');
    const c = await seed('c.conf', 1, 'c1\n');
    const result = await runBatch(
      bed.deps,
      [
        { device: 'host0', path: a, content: Buffer.from('a2\n') },
        { device: 'host0', path: b, content: null },
        { device: 'host1', path: c, content: Buffer.from('c2\n'), expectHash: sha256Hex(Buffer.from('c1\n')) },
      ],
      { operation: 'batch', source: 'batch', actor: 'ops' },
    );
    expect(result.files.map((f) => f.action)).toEqual(['write', 'delete', 'write']);
    expect(readFileSync(a, 'utf8')).toBe('a2\n');
    expect(readdirSync(bed.hosts[0]!.root)).not.toContain('b.conf');
    expect(readFileSync(c, 'utf8')).toBe('c2\n');
    const latest = await bed.store.latestSnapshot('host1', c);
    expect(latest).toMatchObject({ source: 'batch', actor: 'ops' });
    expect((await bed.store.getTrackedFile('host1', c))?.baselineSnapshotId).toBe(latest!.id);
    // the batch's own delete is the new baseline: "absent", in sync, not drift
    expect(await bed.store.getTrackedFile('host0', b)).toMatchObject({ deleted: true, syncStatus: 'synced' });
    expect((await checkDrift(bed.deps, 'host0')).findings.filter((f) => f.path === b)).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it('clears an earlier write-back error from every file of a later successful batch, written or unchanged', async () => {
    const x = await seed('x.conf', 0, 'x1\n');
    const y = await seed('y.conf', 0, 'y1\n');
    for (const path of [x, y]) await bed.store.updateTrackedFile('host0', path, { lastError: 'batch: validation refused host0:x.conf' });
    const result = await runBatch(
      bed.deps,
      [
        { device: 'host0', path: x, content: Buffer.from('x2\n') },
        { device: 'host0', path: y, content: Buffer.from('y1\n') },
      ],
      { operation: 'batch', source: 'batch', actor: 'ops' },
    );
    expect(result.files.map((f) => f.action)).toEqual(['write', 'unchanged']);
    expect(await bed.store.getTrackedFile('host0', x)).toMatchObject({ lastError: null });
    expect(await bed.store.getTrackedFile('host0', y)).toMatchObject({ lastError: null });
  });

  it('refuses the whole batch when one expectHash does not match', async () => {
    const a = await seed('e1.conf', 0, 'one\n');
    const c = await seed('e2.conf', 1, 'two\n');
    const error = await runBatch(
      bed.deps,
      [
        { device: 'host0', path: a, content: Buffer.from('changed\n') },
        { device: 'host1', path: c, content: Buffer.from('changed\n'), expectHash: sha256Hex(Buffer.from('not two\n')) },
      ],
      { operation: 'batch', source: 'batch', actor: 'ops' },
    ).catch((e) => e);
    expect(error).toMatchObject({ code: 'CW_ERR_WRITEBACK_CONFLICT' });
    expect(readFileSync(a, 'utf8')).toBe('one\n');
    expect(readFileSync(c, 'utf8')).toBe('two\n');
    expect(leftovers()).toEqual([]);
  });

  it.skipIf(missingOutsideCi(commandExists('chattr')))('third write fails (directory made immutable at commit): all three files stay as they were', async () => {
    const a = await seed('f1.conf', 0, 'f1\n');
    const b = await seed('f2.conf', 0, 'f2\n');
    const c = await seed('f3.conf', 1, 'f3\n');
    const host1 = bed.hosts[1]!;
    // Fault: host1's directory becomes immutable just before its commit script runs.
    const faulty = async (): Promise<Transport> => {
      const inner = await transportFor(host1.sshd)();
      return Object.assign(Object.create(inner), {
        run: (script: Parameters<Transport['run']>[0], opts?: Parameters<Transport['run']>[1]) => {
          if (script.bytes.includes(Buffer.from('mv -f --'))) execFileSync('chattr', ['+i', host1.root]);
          return inner.run(script, opts);
        },
        close: () => inner.close(),
      }) as Transport;
    };
    const deps = { ...bed.deps, transportFor: (d: { name: string }) => (d.name === 'host1' ? faulty() : bed.deps.transportFor(d as never)) };
    try {
      const error = await runBatch(
        deps,
        [
          { device: 'host0', path: a, content: Buffer.from('new1\n') },
          { device: 'host0', path: b, content: Buffer.from('new2\n') },
          { device: 'host1', path: c, content: Buffer.from('new3\n') },
        ],
        { operation: 'batch', source: 'batch', actor: 'ops' },
      ).catch((e) => e);
      expect(error).toMatchObject({ code: 'CW_ERR_WRITEBACK_FAILED' });
      expect(readFileSync(a, 'utf8')).toBe('f1\n');
      expect(readFileSync(b, 'utf8')).toBe('f2\n');
      expect(readFileSync(c, 'utf8')).toBe('f3\n');
      expect(bed.events.some((e) => e.type === 'writeback.failed' && e.device === 'host1')).toBe(true);
    } finally {
      execFileSync('chattr', ['-i', host1.root]);
    }
    // The temp file in the immutable directory could not be removed; recovery does it.
    expect(leftovers().length).toBe(1);
    const recovered = await recoverBatches(bed.deps);
    expect(recovered.map((r) => r.outcome)).toEqual(['rolled-back']);
    expect(leftovers()).toEqual([]);
  });
});
