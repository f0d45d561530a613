/**
 * `npm run bench -- <name>`: runs one benchmark scenario and prints one JSON
 * object with its figures, the machine and the parameters. Scenarios live in
 * bench/<name>.ts and export `run(args): Promise<object>`.
 */
import { cpus, totalmem } from 'node:os';
import { existsSync } from 'node:fs';

const SCENARIOS: Record<string, string> = {
  latency: './latency.ts',
  poll: './poll.ts',
  storm: './storm.ts',
  fleet: './fleet.ts',
  storage: './storage.ts',
  parse: './parse.ts',
  'parse-large': './parse-large.ts',
  exec: './exec.ts',
  api: './api.ts',
  'impact-accuracy': './impact-accuracy.ts',
  hostile: './hostile.ts',
  drift: './drift.ts',
  compliance: './compliance.ts',
  alerts: './alerts.ts',
  export: './export.ts',
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || !(name in SCENARIOS)) {
    process.stderr.write(`usage: npm run bench -- <${Object.keys(SCENARIOS).join('|')}>\n`);
    process.exit(2);
  }
  const file = new URL(SCENARIOS[name] as string, import.meta.url);
  if (!existsSync(file)) {
    process.stderr.write(`benchmark "${name}" is not implemented yet\n`);
    process.exit(2);
  }
  const mod = (await import(file.href)) as { run: (args: string[]) => Promise<object> };
  const startedAt = new Date().toISOString();
  const figures = await mod.run(args);
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
  process.stdout.write(`${JSON.stringify({ benchmark: name, startedAt, machine, ...figures }, null, 2)}\n`);
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
