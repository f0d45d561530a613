/**
 * nginx parser throughput over the nginx corpus, in crossplane's reference
 * mode (single file, no checks, no comments) so the figure compares with
 * crossplane 0.5.7's 610 ms / 1.2 MB/s for the same 394 files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseNginx } from '../src/parsers/nginx/parser.js';

const CORPUS = join(import.meta.dirname, '../test/fixtures/corpus/nginx');
const WARMUP_ROUNDS = 5;
const MEASURED_ROUNDS = 15;

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** Parses the whole corpus once per round and keeps the best round. */
export async function run(): Promise<object> {
  const files = listFiles(CORPUS)
    .filter((path) => !path.endsWith('/LICENSE'))
    .map((path) => readFileSync(path));
  const bytes = files.reduce((sum, file) => sum + file.length, 0);
  const round = (): number => {
    const start = process.hrtime.bigint();
    for (const file of files) parseNginx(file);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  for (let i = 0; i < WARMUP_ROUNDS; i++) round();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < MEASURED_ROUNDS; i++) best = Math.min(best, round());
  const ms = Math.round(best * 100) / 100;
  const mbPerSec = Math.round((bytes / 1e6 / (best / 1000)) * 10) / 10;
  return { parser: 'nginx', files: files.length, bytes, ms, mbPerSec, rounds: MEASURED_ROUNDS };
}
