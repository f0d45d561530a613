/**
 * `npm run bench -- export [--versions N] [--size BYTES]`: stores N versions
 * (default 10,000) of about BYTES each (default 8 KiB) over 100 files, then
 * measures a full export with history (throughput, peak RSS), the import
 * of that archive's verification pass, and the git mirror of the same
 * history.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyArchive } from '../src/archive/archive-reader.js';
import { ArchiveService } from '../src/services/archive.service.js';
import { ArchiveRepository } from '../src/store/archive.repository.js';
import type { NewSnapshot } from '../src/store/snapshot-store.js';
import { customProfile, openTempStore } from './helpers/store.js';

const CLI_BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url));

/** `confwatch export --history` as a user runs it, in its own process: wall time and maximum RSS (GNU time). */
function cliExport(home: string, out: string): { ms: number; maxRssMiB: number } | string {
  const started = performance.now();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, CLI_BIN, 'export', '--history', '--out', out, '--json'], {
    env: { ...process.env, CONFWATCH_HOME: home, ...(process.env.BENCH_CLI_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_CLI_NODE_OPTIONS } : {}) },
    encoding: 'utf8',
  });
  const ms = Math.round(performance.now() - started);
  const kib = Number(result.stderr.trim().split('\n').pop());
  if (result.status !== 0 || !Number.isFinite(kib)) return `failed: ${result.stderr.trim().split('\n')[0] ?? result.status}`;
  return { ms, maxRssMiB: Math.round(kib / 1024) };
}

const arg = (args: string[], name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

/** Peak RSS while `run` runs, sampled every 20 ms. */
async function peakRss<T>(run: () => Promise<T>): Promise<{ result: T; peakRssMiB: number; ms: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const started = performance.now();
  try {
    const result = await run();
    return { result, peakRssMiB: Math.round(Math.max(peak, process.memoryUsage.rss()) / 1048576), ms: Math.round(performance.now() - started) };
  } finally {
    clearInterval(timer);
  }
}

export async function run(args: string[]): Promise<object> {
  const versions = arg(args, '--versions', 10_000);
  const size = arg(args, '--size', 8 * 1024);
  const files = 100;
  const temp = await openTempStore('cw-bench-export-');
  const dir = mkdtempSync(join(tmpdir(), 'cw-bench-export-out-'));
  try {
    const { store } = temp;
    await store.addDevice(
      { name: 'web', transport: 'ssh', host: 'web.example', port: 22, user: 'ops', identityFile: null, hostKey: null, mode: 'realtime', pollIntervalSec: null, sudo: false, jump: null, tags: [] },
      [customProfile('web', ['/etc/**'])],
    );
    const seedStarted = performance.now();
    const start = Date.UTC(2026, 0, 1);
    for (let i = 0; i < versions; i += 200) {
      const batch: NewSnapshot[] = [];
      for (let j = i; j < Math.min(versions, i + 200); j++) {
        // text lines with random tokens: compresses like a config, never to nothing
        const lines: string[] = [];
        let bytes = 0;
        while (bytes < size) {
          const line = `key_${bytes % 97} = ${randomBytes(12).toString('base64')} # version ${j}\n`;
          lines.push(line);
          bytes += line.length;
        }
        batch.push({
          device: 'web',
          path: `/etc/app/conf-${j % files}.conf`,
          configType: 'generic',
          profile: 'custom',
          changeType: 'modified',
          source: 'realtime',
          content: Buffer.from(lines.join('')),
          actor: j % 3 === 0 ? 'alice' : null,
          detectedAt: new Date(start + j * 1000).toISOString(),
        });
      }
      await store.recordSnapshots(batch);
    }
    const seedMs = Math.round(performance.now() - seedStarted);
    const service = new ArchiveService({
      store,
      repository: new ArchiveRepository(store),
      batch: {
        applyChanges: () => {
          throw new Error('not used');
        },
      },
    });
    const file = join(dir, 'history.tar.gz');
    if (global.gc) global.gc();
    const baseRssMiB = Math.round(process.memoryUsage.rss() / 1048576);
    const exported = await peakRss(() => service.export(createWriteStream(file), { history: true }));
    const archiveBytes = statSync(file).size;
    const verified = await peakRss(() => verifyArchive(file));
    const mirror = await peakRss(() => service.gitMirror(join(dir, 'mirror.git')));
    const cli = existsSync(CLI_BIN) ? cliExport(temp.home, join(dir, 'cli.tar.gz')) : null;
    const contentMiB = exported.result.contentBytes / 1048576;
    return {
      parameters: { versions, approxVersionBytes: size, files },
      seed: { ms: seedMs },
      export: {
        ms: exported.ms,
        versions: exported.result.versions,
        contentMiB: Math.round(contentMiB),
        archiveMiB: Math.round(archiveBytes / 1048576),
        throughputMiBps: Math.round((contentMiB / (exported.ms / 1000)) * 10) / 10,
        versionsPerSecond: Math.round(exported.result.versions / (exported.ms / 1000)),
        baseRssMiB,
        peakRssMiB: exported.peakRssMiB,
      },
      verify: { ms: verified.ms, peakRssMiB: verified.peakRssMiB },
      gitMirror: { ms: mirror.ms, commits: mirror.result.commits, peakRssMiB: mirror.peakRssMiB, withinTenSeconds: mirror.ms <= 10_000 },
      cliExport: cli ?? 'dist/cli/bin.js missing: npm run build first',
    };
  } finally {
    await temp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
