/**
 * Write-backs from separate processes: two concurrent restores of one file
 * (one wins, the other is refused), and a process killed between the
 * renames of a batch, repaired by the next start's recovery.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { recoverBatches } from '../../src/writeback/batch-recovery.js';
import { type Bed, createBed, describeOnDialects } from './harness.js';
import type { WorkerJob } from './worker.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

interface Running {
  readonly child: ChildProcess;
  /** Resolves once the worker is set up and waiting for its go line. */
  readonly ready: Promise<void>;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; result: { ok: boolean; code?: string } | null }>;
}

/** Lease of the workers' batches: short, so recovery can take over a killed worker's batch soon. */
const LEASE_MS = 3_000;
/** A worker start plus a lease to wait out: more than the default on a busy machine. */
const KILL_TEST_TIMEOUT_MS = 180_000;
const leaseRunsOut = () => new Promise((resolve) => setTimeout(resolve, LEASE_MS + 200));

function startWorker(bed: Bed, job: Omit<WorkerJob, 'home' | 'databaseUrl' | 'clientKeyPaths'>): Running {
  const full: WorkerJob = {
    home: bed.target.home,
    ...(bed.target.databaseUrl ? { databaseUrl: bed.target.databaseUrl } : {}),
    clientKeyPaths: Object.fromEntries(bed.hosts.map((h) => [h.device.name, h.sshd.clientKeyPath])),
    leaseMs: LEASE_MS,
    ...job,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(full)], {
    env: { ...process.env, CONFWATCH_LOG_LEVEL: 'silent' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  let signalReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) signalReady();
  });
  const done = new Promise<Awaited<Running['done']>>((resolve) =>
    child.on('close', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? '';
      resolve({ code, signal, result: last.startsWith('{') ? JSON.parse(last) : null });
    }),
  );
  return { child, ready, done };
}

describeOnDialects('write-backs across processes', (dialect) => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await createBed({ hosts: 2, dialect });
  });
  afterAll(async () => bed?.dispose());

  it('two processes restoring the same file: one wins, the other is refused', async () => {
    const host = bed.hosts[0]!;
    const file = join(host.root, 'race.conf');
    writeFileSync(file, 'v1\n');
    const v1 = await bed.capture(host, file, Buffer.from('v1\n'));
    writeFileSync(file, 'v2\n');
    const v2 = await bed.capture(host, file, Buffer.from('v2\n'));
    writeFileSync(file, 'v3\n');
    await bed.capture(host, file, Buffer.from('v3\n'));
    const workers = [startWorker(bed, { restore: v1 }), startWorker(bed, { restore: v2 })];
    // Both are set up and waiting; release them together.
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin!.end('go\n');
    const results = await Promise.all(workers.map((w) => w.done));
    const outcomes = results.map((r) => r.result);
    expect(outcomes.filter((o) => o?.ok).length).toBe(1);
    expect(outcomes.find((o) => !o?.ok)).toMatchObject({ ok: false, code: 'CW_ERR_WRITEBACK_CONFLICT' });
    const winner = outcomes[0]!.ok ? 'v1\n' : 'v2\n';
    expect(readFileSync(file, 'utf8')).toBe(winner);
  });

  it('a kill between renames is repaired at the next start (rolled back), temp files removed', async () => {
    const [h0, h1] = bed.hosts as [Bed['hosts'][0], Bed['hosts'][0]];
    const files = [join(h0.root, 'k1.conf'), join(h0.root, 'k2.conf'), join(h1.root, 'k3.conf')];
    for (const [i, f] of files.entries()) {
      writeFileSync(f, `old${i}\n`);
      await bed.capture(i < 2 ? h0 : h1, f, Buffer.from(`old${i}\n`));
    }
    const worker = startWorker(bed, { batch: files.map((f, i) => ({ device: i < 2 ? 'host0' : 'host1', path: f, content: `new${i}\n` })), crashAfterRenames: 1 });
    worker.child.stdin!.end('go\n');
    const exit = await worker.done;
    expect(exit.signal).toBe('SIGKILL');
    // Killed after the first rename: one file new, the rest old, temp files left.
    expect(files.map((f) => readFileSync(f, 'utf8'))).toEqual(['new0\n', 'old1\n', 'old2\n']);
    expect(readdirSync(h0.root).filter((n) => n.includes('.confwatch-')).length).toBe(1);

    // The owner's lease still holds: nothing is taken over yet.
    expect(await recoverBatches(bed.deps)).toEqual([]);
    await leaseRunsOut();
    const recovered = await recoverBatches(bed.deps);
    expect(recovered.map((r) => r.outcome)).toEqual(['rolled-back']);
    expect(files.map((f) => readFileSync(f, 'utf8'))).toEqual(['old0\n', 'old1\n', 'old2\n']);
    expect([...readdirSync(h0.root), ...readdirSync(h1.root)].filter((n) => n.includes('.confwatch-'))).toEqual([]);
  }, KILL_TEST_TIMEOUT_MS);

  it('a kill after every rename of a one-host batch is rolled forward at the next start', async () => {
    const h0 = bed.hosts[0]!;
    const files = [join(h0.root, 'r1.conf'), join(h0.root, 'r2.conf')];
    for (const [i, f] of files.entries()) {
      writeFileSync(f, `old${i}\n`);
      await bed.capture(h0, f, Buffer.from(`old${i}\n`));
    }
    const worker = startWorker(bed, { batch: files.map((f, i) => ({ device: 'host0', path: f, content: `new${i}\n` })), crashAfterRenames: 2 });
    worker.child.stdin!.end('go\n');
    expect((await worker.done).signal).toBe('SIGKILL');
    await leaseRunsOut();
    const recovered = await recoverBatches(bed.deps);
    expect(recovered.map((r) => r.outcome)).toEqual(['rolled-forward']);
    expect(files.map((f) => readFileSync(f, 'utf8'))).toEqual(['new0\n', 'new1\n']);
    expect(await bed.store.latestSnapshot('host0', files[1]!)).toMatchObject({ source: 'batch', actor: 'worker' });
  }, KILL_TEST_TIMEOUT_MS);
});
