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
/** Each set is parsed this many times so short runs are measurable. */
const ROUNDS = 20;

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

function measure(files: CorpusFile[], parse: (bytes: Buffer, context: ParseContext) => ParseResult) {
  for (const file of files) parse(file.bytes, { path: file.path }); // warm-up (and schema compile)
  const bytes = files.reduce((sum, f) => sum + f.bytes.length, 0);
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++) for (const file of files) parse(file.bytes, { path: file.path });
  const ms = (performance.now() - started) / ROUNDS;
  return { files: files.length, bytes, ms: Number(ms.toFixed(2)), mbPerSec: Number((bytes / 1e6 / (ms / 1000)).toFixed(2)) };
}

export async function run(): Promise<object> {
  const compose = filesUnder(join(CORPUS, 'compose'), (p) => /compose\.ya?ml$/.test(p));
  const systemd = filesUnder(join(CORPUS, 'systemd', 'debian'), () => true);
  const sshd = filesUnder(join(CORPUS, 'sshd', 'debian'), () => true);
  return {
    rounds: ROUNDS,
    composeValidated: measure(compose, (bytes, context) => parseCompose(bytes, context)),
    composeParseOnly: measure(compose, (bytes, context) => parseCompose(bytes, context, { validate: false })),
    systemd: measure(systemd, (bytes, context) => systemdParser.parse(bytes, context)),
    sshd: measure(sshd, (bytes, context) => sshdParser.parse(bytes, context)),
  };
}
