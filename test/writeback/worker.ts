/**
 * A separate process running one write-back against a test bed's store and
 * hosts, for cross-process tests (concurrent restores, a kill mid-commit).
 * argv[2] is a JSON job; it waits for a line on stdin before starting, so
 * two workers can be released together; prints `ready`, then one JSON result line.
 */
import { compileWatchSet } from '../../src/devices/watch-set.js';
import { createInterface } from 'node:readline';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import { openStore } from '../../src/store/open-store.js';
import { WritebackRepository } from '../../src/store/writeback.repository.js';
import { SshTransport } from '../../src/transport/ssh/ssh.transport.js';
import { runBatch } from '../../src/writeback/batch.js';
import { restoreSnapshot } from '../../src/writeback/restore.js';
import type { WritebackDeps } from '../../src/writeback/writeback-deps.js';
import { remoteOnlyValidate } from './remote-only-validate.js';

export interface WorkerJob {
  readonly home: string;
  readonly databaseUrl?: string;
  readonly clientKeyPaths: Record<string, string>;
  readonly restore?: string;
  readonly batch?: { device: string; path: string; content: string }[];
  /** Kill this process (SIGKILL) after this many renames of the first device. */
  readonly crashAfterRenames?: number;
  /** Lease length of the batches this worker runs. */
  readonly leaseMs?: number;
}

const job = JSON.parse(process.argv[2]!) as WorkerJob;
const store = await openStore({ home: job.home, ...(job.databaseUrl ? { databaseUrl: job.databaseUrl } : {}) });
const deps: WritebackDeps = {
  store,
  repo: new WritebackRepository(store),
  bus: new MemoryEventBus(),
  transportFor: async (d) =>
    new SshTransport({ host: d.host, port: d.port, user: d.user, identityFile: job.clientKeyPaths[d.name]!, hostKey: { pinned: d.hostKey } }),
  watchSetOf: async (name) => compileWatchSet(await store.listProfiles(name)),
  validate: remoteOnlyValidate,
  ...(job.leaseMs ? { leaseMs: job.leaseMs } : {}),
};
// Warm the database connection so released workers reach the write lock together.
await store.listDevices();
process.stdout.write('ready\n');
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
try {
  if (job.restore) await restoreSnapshot(deps, { snapshotId: job.restore, actor: `worker-${process.pid}` });
  if (job.batch) {
    await runBatch(
      deps,
      job.batch.map((c) => ({ device: c.device, path: c.path, content: Buffer.from(c.content) })),
      {
        operation: 'batch',
        source: 'batch',
        actor: 'worker',
        ...(job.crashAfterRenames !== undefined
          ? { faults: { crash: { renames: job.crashAfterRenames, crash: () => process.kill(process.pid, 'SIGKILL') } } }
          : {}),
      },
    );
  }
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: (error as { code?: string }).code, message: (error as Error).message })}\n`);
} finally {
  await store.close();
  process.exit(0);
}
