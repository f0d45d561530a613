/**
 * `latency`: 200 single-file edits, one every 300 ms, on an SSH device over
 * loopback (a real sshd started here, real inotifywait, SQLite store). Each
 * edit's latency is the time from the writer closing the file to the
 * `config.changed` event carrying that content's hash.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEventBus } from '../src/events/memory.bus.js';
import { defaultMonitorParts, Monitor } from '../src/watch/monitor.js';
import { sleep } from './helpers/wait.js';
import { startSshd } from './helpers/sshd.js';
import { openTempStore, sshDevice, watching } from './helpers/store.js';

const EDITS = 200;
const INTERVAL_MS = 300;
const FILE_BYTES = 2_048;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] as number) * 100) / 100;
}

export async function run(): Promise<object> {
  const sshd = await startSshd();
  const temp = await openTempStore('cw-bench-home-');
  const store = temp.store;
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-data-'));
  const bus = new MemoryEventBus();
  const device = 'bench-latency';
  await store.addDevice(sshDevice(device, sshd), watching(device, `${dir}/*.conf`));

  const closedAt = new Map<string, number>();
  const latencies: number[] = [];
  const realtime = new Promise<void>((resolve) => {
    bus.subscribe((event) => {
      if (event.type === 'watch.mode' && event.mode === 'realtime') resolve();
      if (event.type !== 'config.changed' || event.contentHash === null) return;
      const closed = closedAt.get(event.contentHash);
      if (closed === undefined) return;
      closedAt.delete(event.contentHash);
      latencies.push(performance.now() - closed);
    });
  });

  const monitor = new Monitor({ store, bus, parts: defaultMonitorParts(), devices: [device] });
  try {
    await monitor.start();
    await realtime;
    const file = join(dir, 'site.conf');
    for (let i = 0; i < EDITS; i++) {
      const content = Buffer.alloc(FILE_BYTES, `edit ${i} `);
      const hash = createHash('sha256').update(content).digest('hex');
      writeFileSync(file, content);
      closedAt.set(hash, performance.now());
      await sleep(INTERVAL_MS);
    }
    await sleep(2_000);
  } finally {
    await monitor.stop();
    await temp.close();
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    parameters: { edits: EDITS, intervalMs: INTERVAL_MS, fileBytes: FILE_BYTES, transport: 'ssh over loopback', store: 'sqlite' },
    received: latencies.length,
    missed: EDITS - latencies.length,
    latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: percentile(sorted, 100) },
    target: { p50: 50, p99: 200 },
  };
}
