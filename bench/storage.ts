/**
 * `storage`: 1,000 versions of a 20 KB nginx-like file, each differing from
 * the previous one in one random line. Reports the bytes the blobs table
 * holds against the same history committed to git and packed with
 * `git gc --aggressive`, the read time of random versions (fresh store, no
 * cache, so every read decodes its whole delta chain) and the ingest time.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { MAX_CHAIN_DEPTH } from '../src/store/blob-store.js';
import { createMasterKeyFile } from '../src/store/keyring.js';
import { openStore } from '../src/store/open-store.js';
import type { SnapshotRecord } from '../src/store/records.js';

const VERSIONS = 1000;
const TARGET_BYTES = 20 * 1024;
const READS = 300;
const PATH = '/config/nginx/site-confs/default.conf';

/** A deterministic generator so runs are comparable. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function nginxLine(random: () => number): string {
  const n = Math.floor(random() * 100_000);
  const lines = [
    `    location /api/v${n % 9}/svc${n} {\n`,
    `        proxy_pass http://10.${n % 250}.${(n >> 3) % 250}.${n % 200}:${8000 + (n % 1000)};\n`,
    `        proxy_set_header X-Request-Id req-${n.toString(36)};\n`,
    `        add_header Cache-Control "max-age=${n % 86400}";\n`,
    `    }\n`,
  ];
  return lines[n % lines.length]!;
}

function versions(random: () => number): Buffer[] {
  const lines: string[] = ['server {\n', '    listen 443 ssl http2;\n', '    server_name example.org;\n'];
  while (lines.join('').length < TARGET_BYTES) lines.push(nginxLine(random));
  lines.push('}\n');
  const out: Buffer[] = [];
  for (let v = 0; v < VERSIONS; v++) {
    if (v > 0) lines[3 + Math.floor(random() * (lines.length - 4))] = nginxLine(random);
    out.push(Buffer.from(lines.join('')));
  }
  return out;
}

/** Commits every version with one `git fast-import` stream, then packs aggressively. */
function gitPackBytes(dir: string, contents: Buffer[]): number {
  execFileSync('git', ['init', '-q', dir]);
  const chunks: Buffer[] = [];
  contents.forEach((content, i) => {
    const message = `version ${i}\n`;
    chunks.push(
      Buffer.from(
        `commit refs/heads/main\ncommitter bench <bench@example.org> ${1_700_000_000 + i} +0000\n` +
          `data ${Buffer.byteLength(message)}\n${message}M 644 inline default.conf\ndata ${content.length}\n`,
      ),
      content,
      Buffer.from('\n'),
    );
  });
  execFileSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: Buffer.concat(chunks) });
  execFileSync('git', ['-C', dir, 'gc', '--aggressive', '--prune=now', '--quiet']);
  const packDir = join(dir, '.git', 'objects', 'pack');
  return readdirSync(packDir)
    .filter((f) => f.endsWith('.pack'))
    .reduce((sum, f) => sum + statSync(join(packDir, f)).size, 0);
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const round = (n: number, digits = 3): number => Number(n.toFixed(digits));
const summary = (sorted: number[]) => ({
  p50: round(percentile(sorted, 0.5)),
  p90: round(percentile(sorted, 0.9)),
  p99: round(percentile(sorted, 0.99)),
  worst: round(sorted[sorted.length - 1]!),
});

export async function run(): Promise<object> {
  const work = mkdtempSync(join(tmpdir(), 'cw-bench-storage-'));
  try {
    const random = seededRandom(20240501);
    const contents = versions(random);
    const home = join(work, 'home');
    createMasterKeyFile(home);

    const store = await openStore({ home, env: {} });
    const ingestStart = performance.now();
    const stored: SnapshotRecord[] = [];
    for (const content of contents) {
      const [record] = await store.recordSnapshots([
        { device: 'bench', path: PATH, configType: 'nginx', profile: 'swag', changeType: 'modified', source: 'poll', content, detectedAt: new Date().toISOString() },
      ]);
      stored.push(record!);
    }
    const ingestMs = performance.now() - ingestStart;
    const { rows } = await sql<{ bytes: number; blobs: number; fulls: number }>`
      select sum(length(data)) as bytes, count(*) as blobs, sum(case when encoding = 'full' then 1 else 0 end) as fulls from blobs`.execute(store.db);
    await store.close();
    const blobBytes = Number(rows[0]!.bytes);

    const reader = await openStore({ home, env: {}, contentCacheBytes: 0 });
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let i = 0; i < READS; i++) {
      const index = Math.floor(random() * VERSIONS);
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const content = await reader.readContent(stored[index]!);
      const cpu = process.cpuUsage(cpuStart);
      times.push(performance.now() - start);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
      if (!content.equals(contents[index]!)) throw new Error(`version ${index} read back wrong`);
    }
    await reader.close();
    times.sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);

    const gitBytes = gitPackBytes(join(work, 'git'), contents);
    return {
      parameters: { versions: VERSIONS, fileBytes: contents[0]!.length, reads: READS, maxChainDepth: MAX_CHAIN_DEPTH },
      storedBlobBytes: blobBytes,
      blobRows: Number(rows[0]!.blobs),
      fullVersions: Number(rows[0]!.fulls),
      sqliteFileBytes: statSync(join(home, 'confwatch.db')).size,
      gitPackBytes: gitBytes,
      ratioToGit: round(blobBytes / gitBytes, 2),
      target: { ratioToGit: 1.5, readMs: 5 },
      readMs: summary(times),
      // CPU time per read: wall-clock tails on a loaded machine are mostly time spent descheduled.
      readCpuMs: summary(cpuTimes),
      loadAverage: loadavg().map((n) => round(n, 2)),
      ingestMs: Math.round(ingestMs),
      ingestMsPerVersion: round(ingestMs / VERSIONS),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
