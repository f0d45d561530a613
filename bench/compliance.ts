/**
 * Compliance evaluation over a fleet of 1,000 parsed files on one core:
 * the corpus's nginx (SWAG proxy confs, Debian), compose, systemd and sshd
 * files, parsed once (not timed) and repeated up to the count, then every
 * built-in rule of each file's type evaluated on it, as a fleet run does in
 * its worker. Target: 1,000 files in at most 2 s.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { getParser } from '../src/parsers/registry.js';
import { evaluateFile } from '../src/compliance/evaluator.js';
import { BUILTIN_RULES } from '../src/compliance/packs/index.js';
import type { RuleConfigType } from '../src/compliance/rule.js';

const CORPUS = join(import.meta.dirname, '../test/fixtures/corpus');
const FILES = 1_000;
const ROUNDS = 5;

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

function typeOf(path: string): RuleConfigType | undefined {
  const name = basename(path);
  if (/^(docker-)?compose\.ya?ml$/.test(name)) return 'compose';
  if (name === 'sshd_config') return 'sshd';
  if (path.includes('/systemd/') && name.endsWith('.service')) return 'systemd';
  if (path.includes('/corpus/nginx/') && (name.endsWith('.conf') || name.endsWith('.conf.sample'))) return 'nginx';
  return undefined;
}

export async function run(args: string[]): Promise<object> {
  const count = Number(args[0] ?? FILES);
  const parsed = listFiles(CORPUS).flatMap((path) => {
    const type = typeOf(path);
    if (!type) return [];
    const data = getParser(type).parse(readFileSync(path), { path }).data;
    return data === null ? [] : [{ path, type, parsed: data }];
  });
  const fleet = Array.from({ length: count }, (_, i) => parsed[i % parsed.length]!);
  const byType: Record<string, number> = {};
  for (const f of fleet) byType[f.type] = (byType[f.type] ?? 0) + 1;

  let evaluations = 0;
  let failures = 0;
  const round = (): number => {
    const start = process.hrtime.bigint();
    for (const f of fleet) {
      const outcomes = evaluateFile(BUILTIN_RULES, f.type, f.path, f.parsed);
      evaluations += outcomes.length;
      for (const o of outcomes) if (o.status === 'fail') failures += 1;
    }
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const coldMs = round();
  const perRound = evaluations;
  const failing = failures;
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < ROUNDS; i++) best = Math.min(best, round());
  return {
    files: count,
    distinctFiles: parsed.length,
    byType,
    rules: BUILTIN_RULES.length,
    evaluationsPerRound: perRound,
    failingPerRound: failing,
    coldMs: Math.round(coldMs),
    bestMs: Math.round(best),
    usPerEvaluation: Math.round((best * 1000) / perRound),
    targetMs: 2000,
    rounds: ROUNDS,
  };
}
