/**
 * Parser throughput over the corpus for compose (with and without schema
 * validation), systemd and sshd. Part of the `parse` benchmark.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCompose } from '../src/parsers/compose/compose.parser.js';
import type { ParseContext, ParseResult } from '../src/parsers/parser.js';
import { sshdParser } from '../src/parsers/sshd/sshd.parser.js';
import { systemdParser } from '../src/parsers/systemd/systemd.parser.js';

const CORPUS = fileURLToPath(new URL('../test/fixtures/corpus/', import.meta.url));
/**
 * Rounds over each set, as for nginx (parse-nginx.ts) so the figures compare:
 * the warm-up rounds let the JIT settle (a long-running server parses with
 * warm code), then each measured round is timed and the best and median kept.
 */
const WARMUP_ROUNDS = 5;
const MEASURED_ROUNDS = 15;

interface CorpusFile {
  readonly path: string;
  readonly bytes: Buffer;
}

function filesUnder(dir: string, accept: (name: string) => boolean): CorpusFile[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile() && accept(path))
    .sort()
    .map((path) => ({ path, bytes: readFileSync(path) }));
}

const mbPerSec = (bytes: number, ms: number): number => Number((bytes / 1e6 / (ms / 1000)).toFixed(2));

function measure(files: CorpusFile[], parse: (bytes: Buffer, context: ParseContext) => ParseResult) {
  const bytes = files.reduce((sum, f) => sum + f.bytes.length, 0);
  const round = (): number => {
    const started = performance.now();
    for (const file of files) parse(file.bytes, { path: file.path });
    return performance.now() - started;
  };
  // The first round includes one-time costs (module JIT, compose schema compilation): reported apart.
  const firstRoundMs = round();
  for (let i = 1; i < WARMUP_ROUNDS; i++) round();
  const times = Array.from({ length: MEASURED_ROUNDS }, round).sort((a, b) => a - b);
  const best = times[0]!;
  const median = times[Math.floor(times.length / 2)]!;
  return {
    files: files.length,
    bytes,
    ms: Number(best.toFixed(2)),
    mbPerSec: mbPerSec(bytes, best),
    medianMs: Number(median.toFixed(2)),
    medianMbPerSec: mbPerSec(bytes, median),
    firstRoundMs: Number(firstRoundMs.toFixed(2)),
  };
}

export async function run(): Promise<object> {
  const compose = filesUnder(join(CORPUS, 'compose'), (p) => /compose\.ya?ml$/.test(p));
  const systemd = filesUnder(join(CORPUS, 'systemd', 'debian'), () => true);
  const sshd = filesUnder(join(CORPUS, 'sshd', 'debian'), () => true);
  return {
    rounds: MEASURED_ROUNDS,
    composeValidated: measure(compose, (bytes, context) => parseCompose(bytes, context)),
    composeParseOnly: measure(compose, (bytes, context) => parseCompose(bytes, context, { validate: false })),
    systemd: measure(systemd, (bytes, context) => systemdParser.parse(bytes, context)),
    sshd: measure(sshd, (bytes, context) => sshdParser.parse(bytes, context)),
  };
}
