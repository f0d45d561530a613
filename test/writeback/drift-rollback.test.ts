/**
 * Drift detection and resolution, auto-reconcile, and rollback plans over
 * a real sshd.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkDrift } from '../../src/writeback/drift.js';
import { resolveDrift } from '../../src/writeback/drift-resolution.js';
import { Reconciler } from '../../src/writeback/reconcile.js';
import { applyPlan, planRollback } from '../../src/writeback/rollback-plan.js';
import { type Bed, createBed, describeOnDialects } from './harness.js';

describeOnDialects('drift and rollback plans', (dialect) => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await createBed({ hosts: 1, profile: { autoReconcile: 'restore' }, dialect });
  });
  afterAll(async () => bed?.dispose());
  const host = () => bed.hosts[0]!;

  it('detects drifted and missing files in one check, then resolves by restore and by accept', async () => {
    const a = join(host().root, 'drift-a.conf');
    const b = join(host().root, 'drift-b.conf');
    const c = join(host().root, 'drift-c.conf');
    for (const f of [a, b, c]) {
      writeFileSync(f, 'baseline\n');
      await bed.capture(host(), f, Buffer.from('baseline\n'));
    }
    writeFileSync(a, 'hand edit a\n');
    writeFileSync(b, 'hand edit b\n');
    rmSync(c);
    const report = await checkDrift(bed.deps, 'host0');
    const byPath = Object.fromEntries(report.findings.filter((f) => f.path.includes('drift-')).map((f) => [f.path, f.status]));
    expect(byPath).toEqual({ [a]: 'drifted', [b]: 'drifted', [c]: 'missing' });
    expect((await bed.store.getTrackedFile('host0', a))?.syncStatus).toBe('drifted');
    expect(bed.events.filter((e) => e.type === 'config.drift.detected' && e.path === c)).toHaveLength(1);

    await resolveDrift(bed.deps, { device: 'host0', path: a, resolution: 'restore', actor: 'ops' });
    expect(readFileSync(a, 'utf8')).toBe('baseline\n');
    const accepted = await resolveDrift(bed.deps, { device: 'host0', path: b, resolution: 'accept', actor: 'ops' });
    expect((await bed.store.getTrackedFile('host0', b))?.baselineSnapshotId).toBe(accepted.snapshotId);
    await resolveDrift(bed.deps, { device: 'host0', path: c, resolution: 'restore', actor: 'ops' });
    expect(readFileSync(c, 'utf8')).toBe('baseline\n');

    const again = await checkDrift(bed.deps, 'host0');
    expect(again.findings.filter((f) => f.path.includes('drift-'))).toEqual([]);
    expect((await bed.store.getTrackedFile('host0', b))?.syncStatus).toBe('synced');
    expect(bed.events.filter((e) => e.type === 'config.drift.resolved').map((e) => e.type === 'config.drift.resolved' && e.resolution)).toEqual(['restore', 'accept', 'restore']);
  });

  it('auto-reconcile restores a drifting capture once and ignores the event of its own write', async () => {
    const f = join(host().root, 'auto.conf');
    writeFileSync(f, 'wanted\n');
    await bed.capture(host(), f, Buffer.from('wanted\n'));
    writeFileSync(f, 'unwanted\n');
    const drifted = await bed.store.getSnapshot(await bed.capture(host(), f, Buffer.from('unwanted\n')));
    const reconciler = new Reconciler(bed.deps);
    const result = await reconciler.reconcileIfNeeded(drifted!);
    expect(result?.status).toBe('applied');
    expect(readFileSync(f, 'utf8')).toBe('wanted\n');
    // The watcher would now capture the file it wrote: same content as the baseline, no second restore.
    const echo = await bed.store.getSnapshot(await bed.capture(host(), f, Buffer.from('wanted\n')));
    expect(await reconciler.reconcileIfNeeded(echo!)).toBeNull();
    expect(await reconciler.reconcileIfNeeded((await bed.store.latestSnapshot('host0', f))!)).toBeNull();
  });

  it('plans a rollback to a time, applies it as one batch, and refuses a stale plan', async () => {
    const keep = join(host().root, 'rb-keep.conf');
    const added = join(host().root, 'rb-added.conf');
    const removed = join(host().root, 'rb-removed.conf');
    writeFileSync(keep, 'k1\n');
    await bed.capture(host(), keep, Buffer.from('k1\n'));
    writeFileSync(removed, 'r1\n');
    await bed.capture(host(), removed, Buffer.from('r1\n'));
    await new Promise((r) => setTimeout(r, 5));
    const target = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    writeFileSync(keep, 'k2\n');
    await bed.capture(host(), keep, Buffer.from('k2\n'));
    writeFileSync(added, 'new\n');
    await bed.capture(host(), added, Buffer.from('new\n'));
    rmSync(removed);
    await bed.capture(host(), removed, null);

    const plan = await planRollback(bed.deps, 'host0', { time: target });
    expect(Object.fromEntries(plan.steps.map((s) => [s.path, s.action]))).toEqual({ [keep]: 'restore', [added]: 'delete', [removed]: 'recreate' });
    expect(plan.steps.find((s) => s.path === keep)?.diff).toMatch(/-k2\n\+k1\n/);

    const stale = await planRollback(bed.deps, 'host0', { time: target });
    writeFileSync(keep, 'k3\n');
    await bed.capture(host(), keep, Buffer.from('k3\n'));
    await expect(applyPlan(bed.deps, stale.id, 'ops')).rejects.toMatchObject({ code: 'CW_ERR_PLAN_STALE' });
    expect(readFileSync(keep, 'utf8')).toBe('k3\n');

    const fresh = await planRollback(bed.deps, 'host0', { time: target });
    const applied = await applyPlan(bed.deps, fresh.id, 'ops');
    expect(applied.status).toBe('applied');
    expect(applied.steps.every((s) => s.result?.status === 'ok')).toBe(true);
    expect(readFileSync(keep, 'utf8')).toBe('k1\n');
    expect(existsSync(added)).toBe(false);
    expect(readFileSync(removed, 'utf8')).toBe('r1\n');
    expect((await bed.store.latestSnapshot('host0', keep))?.source).toBe('rollback');
    expect((await bed.deps.repo.getPlan(fresh.id))?.status).toBe('applied');
  });
});
