/**
 * `storm`: 5,000 watched files rewritten at once (what a `git checkout` of
 * another branch does) on an SSH device over loopback, monitored in
 * realtime by the real Monitor. Reports how many were stored, in how many
 * change sets, the time from the end of the rewrite to the last snapshot,
 * and the peak RSS of this process. `--files N` scales it (default 5,000);
 * `--analysis` also runs the analysis service on every stored batch, as
 * `confwatch serve` does.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfwatchEvent } from '../src/events/event-map.js';
import { MemoryEventBus } from '../src/events/memory.bus.js';
import { AnalysisPool } from '../src/compute/analysis-pool.js';
import { AnalysisService } from '../src/services/analysis.service.js';
import { DependencyEdgeStore } from '../src/store/dependency-edges.js';
import { defaultMonitorParts, Monitor, type MonitorParts } from '../src/watch/monitor.js';
import { sleep, until as waitUntil } from './helpers/wait.js';
import { startSshd } from './helpers/sshd.js';
import { customProfile, openTempStore, sshDevice } from './helpers/store.js';

const FILES_PER_DIR = 100;
const TIMEOUT_MS = 180_000;

/** `--files N` (default 5,000), spread over directories of 100 files. */
function filesFrom(args: readonly string[]): number {
  const i = args.indexOf('--files');
  const files = i >= 0 ? Number(args[i + 1]) : 5_000;
  if (!Number.isInteger(files) || files < FILES_PER_DIR) throw new Error(`--files must be an integer of at least ${FILES_PER_DIR}`);
  return files;
}

const fileText = (d: number, f: number, branch: string) =>
  `# branch ${branch}\nservice:\n  name: svc-${d}-${f}\n  image: example/app:${branch}\n  port: ${8000 + f}\n`;

/** The monitor parts, with every stored batch handed to analysis when asked (as the services wire it). */
function monitorParts(analysis: AnalysisService | undefined): MonitorParts {
  const base = defaultMonitorParts();
  if (!analysis) return base;
  return {
    ...base,
    createCapture: (context) => {
      const capture = base.createCapture(context);
      return {
        capture: async (requests, source, options) => {
          const records = await capture.capture(requests, source, options);
          if (records.length > 0) analysis.enqueue(records);
          return records;
        },
      };
    },
  };
}

const until = (condition: () => boolean, timeoutMs: number, what: string) => waitUntil(condition, what, timeoutMs, 50);

export async function run(args: readonly string[] = []): Promise<object> {
  const DIRS = Math.ceil(filesFrom(args) / FILES_PER_DIR);
  const FILES = DIRS * FILES_PER_DIR;
  const withAnalysis = args.includes('--analysis');
  const sshd = await startSshd();
  const temp = await openTempStore('cw-bench-storm-home-');
  const store = temp.store;
  const pool = new AnalysisPool();
  const root = mkdtempSync(join(tmpdir(), 'cw-bench-storm-'));
  const bus = new MemoryEventBus({ replaySize: 100 });
  const analysis = withAnalysis ? new AnalysisService(store, new DependencyEdgeStore(store), { pool, bus }) : undefined;
  const changed: { event: ConfwatchEvent<'config.changed'>; at: number }[] = [];
  const changeSets: ConfwatchEvent<'config.changeset'>[] = [];
  const modes: string[] = [];
  bus.subscribe((event) => {
    if (event.type === 'config.changed') changed.push({ event, at: performance.now() });
    else if (event.type === 'config.changeset') changeSets.push(event);
    else if (event.type === 'watch.mode') modes.push(event.mode);
  });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  let monitor: Monitor | undefined;
  try {
    for (let d = 0; d < DIRS; d++) {
      mkdirSync(join(root, `stack${d}`));
      for (let f = 0; f < FILES_PER_DIR; f++) writeFileSync(join(root, `stack${d}`, `svc${f}.conf`), fileText(d, f, 'main'));
    }
    await store.addDevice(sshDevice('storm', sshd, { passphrase: null }), [customProfile('storm', [`${root}/**/*.conf`])]);
    monitor = new Monitor({ store, bus, parts: monitorParts(analysis), devices: ['storm'] });
    const startedAt = performance.now();
    await monitor.start();
    await until(() => modes.includes('realtime') && changed.length >= FILES, TIMEOUT_MS, 'the initial scan and realtime mode');
    await until(() => changeSets.length > 0, 10_000, 'the initial change set to close');
    const initialMs = Math.round(performance.now() - startedAt);
    const initialRss = peakRss;
    // the rewrite meets an idle analysis queue, as a checkout some time after the first scan would
    await analysis?.idle();

    changed.length = 0;
    changeSets.length = 0;
    peakRss = process.memoryUsage().rss;
    const rewriteStart = performance.now();
    for (let d = 0; d < DIRS; d++) {
      for (let f = 0; f < FILES_PER_DIR; f++) writeFileSync(join(root, `stack${d}`, `svc${f}.conf`), fileText(d, f, 'feature'));
    }
    const rewriteEnd = performance.now();
    const storedPaths = () => new Set(changed.filter((c) => c.event.changeType === 'modified').map((c) => c.event.path)).size;
    let timedOut = false;
    await until(() => storedPaths() >= FILES, TIMEOUT_MS, 'every rewritten file to be stored').catch(() => {
      timedOut = true;
    });
    const last = changed.at(-1)?.at ?? rewriteEnd;
    // let the change set close (quiet gap 2 s)
    await until(() => changeSets.length > 0, 10_000, 'the change set to close').catch(() => undefined);
    await sleep(2_500);

    return {
      scenario: 'storm',
      parameters: { transport: 'ssh loopback', mode: 'realtime (inotifywait)', files: FILES, dirs: DIRS, store: 'sqlite', analysis: withAnalysis },
      initial: { filesStored: FILES, wallMs: initialMs, peakRssMB: Math.round(initialRss / 2 ** 20) },
      rewriteMs: Math.round(rewriteEnd - rewriteStart),
      filesStored: storedPaths(),
      snapshotsStored: changed.length,
      timedOut,
      changeSets: new Set(changed.map((c) => c.event.changeSetId)).size,
      changeSetEvents: changeSets.map((c) => ({ title: c.title, count: c.count })),
      lastSnapshotAfterRewriteEndMs: Math.round(last - rewriteEnd),
      sources: [...new Set(changed.map((c) => c.event.source))],
      peakRssMB: Math.round(peakRss / 2 ** 20),
      targets: { filesStored: FILES, changeSets: 1, lastSnapshotAfterRewriteEndMs: 10_000, peakRssMB: 300 },
    };
  } finally {
    clearInterval(sampler);
    await monitor?.stop();
    await analysis?.idle();
    await pool.close();
    await temp.close();
    await sshd.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
