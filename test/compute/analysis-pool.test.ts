/**
 * The analysis pool with real worker threads (the TypeScript entry, through
 * tsx; the built entry is exercised by the CLI suites): results equal the
 * in-process analysis, and a task over its time or memory budget resolves
 * as such while the pool carries on with a fresh worker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { analyzeSnapshot } from '../../src/analysis/analyze-snapshot.js';
import { diffContents } from '../../src/analysis/content-diff.js';
import { AnalysisPool } from '../../src/compute/analysis-pool.js';
import { shareFiles, sharedContext } from '../../src/compute/analysis-tasks.js';
import { DependencyGraph } from '../../src/store/graph-queries.js';

const pools: AnalysisPool[] = [];
const open = (options: ConstructorParameters<typeof AnalysisPool>[0]) => {
  const pool = new AnalysisPool(options);
  pools.push(pool);
  return pool;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const lines = (prefix: string, count: number) => Buffer.from(`${Array.from({ length: count }, (_, i) => `${prefix} ${i}`).join('\n')}\n`);

describe('AnalysisPool', () => {
  it('analyses in a worker with the device files and graph, as in process', async () => {
    const files = new Map([
      ['/etc/nginx/nginx.conf', Buffer.from('http { include /etc/nginx/conf.d/*.conf; }\n')],
      ['/etc/nginx/conf.d/app.conf', Buffer.from('server { server_name app.example.com; location / { proxy_pass http://app:3000; } }\n')],
    ]);
    const graph = { nodes: [], edges: [{ from: 'service:web', to: 'nginx:app.example.com', kind: 'depends_on', source: 'manual' as const, sourcePath: null }] };
    const inputs = {
      snapshot: { path: '/etc/nginx/nginx.conf', device: 'web1', changeType: 'modified' as const },
      type: 'nginx' as const,
      content: files.get('/etc/nginx/nginx.conf')!,
      previousContent: Buffer.from('http { }\n'),
    };
    const pool = open({ size: 1 });
    const outcome = await pool.analyze({ inputs, files: shareFiles(files), graph });
    const expected = analyzeSnapshot({ ...inputs, context: sharedContext(shareFiles(files)), graph: new DependencyGraph(graph) });
    expect(outcome).toEqual({ ok: true, value: JSON.parse(JSON.stringify(expected)) });
    expect(JSON.stringify(outcome)).toContain('app.example.com');
  });

  it('runs its worker threads at a lower priority than the event loop (Linux)', async () => {
    const niceOf = (task: string) => Number(readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]);
    const before = new Set(readdirSync('/proc/self/task'));
    await open({ size: 1 }).contentDiff(Buffer.from('a\n'), Buffer.from('b\n'), { from: 'a', to: 'b' });
    const mine = niceOf(String(process.pid));
    const started = readdirSync('/proc/self/task').filter((t) => !before.has(t));
    // the worker's JavaScript thread, among the threads the pool started
    expect(started.map(niceOf)).toContain(Math.min(19, mine + 10));
  });

  it('diffs in a worker', async () => {
    const names = { from: 'a', to: 'b' };
    const outcome = await open({ size: 1 }).contentDiff(Buffer.from('a\nb\n'), Buffer.from('a\nc\n'), names);
    expect(outcome).toEqual({ ok: true, value: diffContents(Buffer.from('a\nb\n'), Buffer.from('a\nc\n'), names) });
  });

  it('resolves a task over its time budget as such, and runs the next one in a fresh worker', async () => {
    const pool = open({ size: 1, budget: { timeMs: 100 } });
    const names = { from: 'a', to: 'b' };
    // two unrelated 8k-line versions: the bounded diff still takes about a second
    const [slow, next] = await Promise.all([pool.contentDiff(lines('alpha', 8_000), lines('beta', 8_000), names), pool.contentDiff(Buffer.from('x\n'), Buffer.from('y\n'), names)]);
    expect(slow).toEqual({ ok: false, budget: 'time', limit: '0.1 s' });
    expect(next).toMatchObject({ ok: true, value: { added: 1, removed: 1 } });
  });

  it('resolves a task over its memory budget as such, and carries on', async () => {
    // a generous time budget: on a loaded machine the heap may fill slowly
    const pool = open({ size: 1, budget: { memoryMb: 24, timeMs: 50_000 } });
    // 200k tiny directives (1 MB): parsing them needs about twice the heap a small file does
    const huge = Buffer.from('a 1;\n'.repeat(200_000));
    const snapshot = { path: '/etc/nginx/nginx.conf', device: 'web1', changeType: 'modified' as const };
    const outcome = await pool.analyze({ inputs: { snapshot, type: 'nginx', content: huge } });
    expect(outcome).toEqual({ ok: false, budget: 'memory', limit: '24 MB' });
    const small = await pool.analyze({ inputs: { snapshot, type: 'nginx', content: Buffer.from('events { }\n') } });
    expect(small.ok).toBe(true);
  });

  it('rejects what is queued when closed', async () => {
    const pool = new AnalysisPool({ size: 1 });
    const pending = pool.contentDiff(Buffer.from('a'), Buffer.from('b'), { from: 'a', to: 'b' });
    const rejected = expect(pending).rejects.toMatchObject({ code: 'CW_ERR_ANALYSIS_WORKER' });
    await pool.close();
    await rejected;
  });
});
