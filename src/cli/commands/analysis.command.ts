/**
 * `confwatch parse`, `confwatch impact` and `confwatch deps` (SPEC §6):
 * parser output for a local file, the impact of a change between two local
 * files or stored for a snapshot, and a device's dependency graph; and
 * `confwatch reanalyze`: stored versions parsed again after a parser changed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import picomatch from 'picomatch';
import { getParser } from '../../parsers/registry.js';
import { namesOf } from '../../store/graph-queries.js';
import { analyzeChange } from '../../analysis/analyze-snapshot.js';
import type { Impact } from '../../analysis/impact.js';
import { atLeast, isRiskLevel, RISK_LEVELS, type RiskLevel } from '../../analysis/risk-level.js';
import { ConfwatchError } from '../../errors.js';
import type { NginxData } from '../../parsers/nginx/nginx.parser.js';
import { CONFIG_TYPES, type ConfigType, type ParseContext, type ParseResult } from '../../parsers/parser.js';
import type { Services } from '../../services/services.js';
import type { DependencyEdgeStore } from '../../store/dependency-edges.js';
import type { CommandEnv, SetExit } from '../options.js';

const usage = (message: string) => new ConfwatchError('CW_ERR_USAGE', message);

function configType(value: string | undefined): ConfigType {
  if (!value || !CONFIG_TYPES.includes(value as ConfigType)) throw usage(`--type must be one of ${CONFIG_TYPES.join(', ')}`);
  return value as ConfigType;
}

function readLocal(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new ConfwatchError('CW_ERR_INPUT', `Cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
}

/** Includes, drop-ins and `.env` read from the local disk. */
const localContext = (path: string): ParseContext => ({
  path,
  readFile: (p) => {
    try {
      return readFileSync(p);
    } catch {
      return undefined;
    }
  },
  glob: (pattern) => {
    const { base } = picomatch.scan(pattern);
    const match = picomatch(pattern, { dot: true });
    try {
      return readdirSync(base || '/', { recursive: true })
        .map((name) => resolve(base || '/', String(name)))
        .filter((p) => match(p))
        .sort();
    } catch {
      return [];
    }
  },
});

/** What `parse --json` prints: crossplane's payload for nginx, `{status, errors, data}` otherwise. */
function parseOutput(type: ConfigType, result: ParseResult, path: string): { output: unknown; ok: boolean } {
  if (type === 'nginx') {
    const payload = (result.data as NginxData | null)?.payload;
    if (payload) return { output: payload, ok: payload.status === 'ok' };
    const errors = result.errors.map((e) => ({ file: e.file ?? path, line: e.line ?? null, error: e.message }));
    return { output: { status: 'failed', errors, parsed: [] }, ok: false };
  }
  const ok = result.errors.length === 0 && result.data !== null;
  return { output: { status: ok ? 'ok' : 'failed', errors: result.errors, data: result.data }, ok };
}

async function dependencyStore(services: Services, device: string): Promise<DependencyEdgeStore> {
  if (!(await services.store.getDevice(device))) throw new ConfwatchError('CW_ERR_NOT_FOUND', `No device named "${device}"; see \`confwatch device list\`.`);
  return services.dependencies;
}

/** Adds parse, impact and deps. `setExit` records a non-zero outcome that is not an error (no parse, risk over --fail-on). */
export function registerAnalysisCommands(program: Command, { ctx, output }: CommandEnv, setExit: SetExit): void {
  program
    .command('parse')
    .argument('<file>', 'local config file')
    .description('print the parser output for a local file (exit 1 when it does not parse)')
    .option('--type <type>', `config type: ${CONFIG_TYPES.join(', ')}`)
    .option('--include', 'nginx: follow includes from the local disk (multi-file payload)')
    .option('--json', 'machine-readable output')
    .action((file: string, opts: { type?: string; include?: boolean; json?: boolean }) => {
      const type = configType(opts.type);
      const path = resolve(file);
      const bytes = readLocal(path);
      const context = opts.include ? localContext(path) : { path };
      const { output: result, ok } = parseOutput(type, getParser(type).parse(bytes, context), path);
      output(opts).result(result, (r) => JSON.stringify(r, null, 2));
      if (!ok) setExit(1, `${file} does not parse as ${type}; the errors are in the output`);
    });

  program
    .command('impact')
    .argument('[snapshot]', 'snapshot id: print the impact stored for it')
    .description('impact of a change between two local files (--old/--new), or stored for a snapshot')
    .option('--type <type>', `config type of --old/--new: ${CONFIG_TYPES.join(', ')}`)
    .option('--old <file>', 'the version before (omit for a new file)')
    .option('--new <file>', 'the version after')
    .option('--fail-on <level>', `exit 1 when the risk is at or above: ${RISK_LEVELS.join(', ')}`)
    .option('--json', 'machine-readable output')
    .action(async (snapshot: string | undefined, opts: { type?: string; old?: string; new?: string; failOn?: string; json?: boolean }) => {
      const failOn = opts.failOn?.toUpperCase();
      if (failOn !== undefined && !isRiskLevel(failOn)) throw usage(`--fail-on must be one of ${RISK_LEVELS.join(', ')}`);
      const out = output(opts);
      let level: RiskLevel;
      if (snapshot !== undefined) {
        if (opts.new || opts.old) throw usage('give a snapshot id or --old/--new files, not both');
        const { store } = await ctx.services();
        const record = await store.getSnapshot(snapshot);
        if (!record) throw new ConfwatchError('CW_ERR_NOT_FOUND', `No snapshot ${snapshot}; see \`confwatch history\`.`);
        if (!record.impact) throw new ConfwatchError('CW_ERR_NOT_FOUND', `Snapshot ${snapshot} has no stored impact (it was not analysed).`);
        const impact = record.impact as Impact;
        level = impact.riskLevel;
        out.result({ snapshotId: record.id, device: record.device, path: record.path, ...impact }, describeImpact);
      } else {
        if (!opts.new) throw usage('give a snapshot id, or --type T --old FILE --new FILE');
        const type = configType(opts.type);
        const path = resolve(opts.new);
        const oldBytes = opts.old === undefined ? undefined : readLocal(resolve(opts.old));
        const { impact, changes } = analyzeChange({
          type,
          path,
          content: readLocal(path),
          ...(oldBytes ? { previousContent: oldBytes } : {}),
          context: localContext(path),
        });
        level = impact.riskLevel;
        out.result({ ...impact, changes }, describeImpact);
      }
      if (failOn !== undefined && atLeast(level, failOn as RiskLevel)) setExit(1, `risk ${level} is at or above --fail-on ${failOn}`);
    });

  const deps = program
    .command('deps')
    .description('dependency graph of a device; with --service, what it depends on and what depends on it (transitive)')
    .option('--device <name>', 'device name')
    .option('--service <name>', 'a service, unit, server name, file path or node id')
    .option('--rebuild', 'rebuild the derived graph from the stored snapshots first')
    .option('--json', 'machine-readable output')
    .action(async (opts: { device?: string; service?: string; rebuild?: boolean; json?: boolean }) => {
      if (!opts.device) throw usage('--device is required');
      const services = await ctx.services();
      const edges = await dependencyStore(services, opts.device);
      if (opts.rebuild) await services.analysis.rebuildGraph(opts.device);
      const graph = await edges.load(opts.device);
      if (opts.service === undefined) {
        output(opts).result({ nodes: graph.nodes, edges: graph.edges }, (g) =>
          g.edges.length ? g.edges.map((e) => `${e.from} -> ${e.to} (${e.kind}${e.source === 'manual' ? ', manual' : ''})`).join('\n') : 'no dependencies known',
        );
        return;
      }
      if (graph.find(opts.service).length === 0) throw new ConfwatchError('CW_ERR_NOT_FOUND', `No service "${opts.service}" in the graph of ${opts.device}.`);
      const result = { service: opts.service, upstream: namesOf(graph.upstream(opts.service)), downstream: namesOf(graph.downstream(opts.service)) };
      output(opts).result(result, (r) => `${r.service}\n  depends on: ${r.upstream.join(', ') || '-'}\n  needed by: ${r.downstream.join(', ') || '-'}`);
    });

  program
    .command('reanalyze')
    .description('parse and analyse again the stored versions an older parser version parsed, then rebuild the dependency graphs')
    .option('--device <name>', 'only this device')
    .option('--type <type>', `only files of this config type: ${CONFIG_TYPES.join(', ')}`)
    .option('--all', "every stored version, not only each file's latest")
    .option('--json', 'machine-readable output')
    .action(async (opts: { device?: string; type?: string; all?: boolean; json?: boolean }) => {
      const type = opts.type === undefined ? undefined : configType(opts.type);
      const { analysis } = await ctx.services();
      const onProgress = progressLine('reanalyzed');
      const summary = await analysis.reanalyze({
        ...(opts.device !== undefined ? { device: opts.device } : {}),
        ...(type ? { type } : {}),
        all: opts.all === true,
        ...(onProgress ? { onProgress } : {}),
      });
      output(opts).result(summary, (r) => `checked ${r.checked}: ${r.reanalyzed} reanalyzed, ${r.skipped} already current, ${r.failed} failed`);
      if (summary.failed > 0) setExit(1, `${summary.failed} version(s) could not be analysed again; see the log for why`);
    });

  for (const verb of ['add', 'remove'] as const) {
    deps
      .command(verb)
      .argument('<from>', 'the dependent (service, unit, server name or node id)')
      .argument('<to>', 'what it depends on')
      .description(`${verb === 'add' ? 'add a manual edge: FROM depends on TO' : 'remove a manual edge'} (deps ${verb} --device NAME FROM TO)`)
      .option('--device <name>', 'device name')
      .option('--type <kind>', 'edge kind (default depends_on for add, any for remove)')
      .option('--json', 'machine-readable output')
      .action(async (from: string, to: string, _opts: unknown, cmd: Command) => {
        // --device and --json may also come before the verb (`deps --device D add …`), where `deps` parses them.
        const opts = cmd.optsWithGlobals<{ device?: string; type?: string; json?: boolean }>();
        if (!opts.device) throw usage('--device is required');
        const edges = await dependencyStore(await ctx.services(), opts.device);
        if (verb === 'add') {
          const edge = await edges.addManual(opts.device, from, to, opts.type);
          output(opts).result(edge, (e) => `added ${e.from} -> ${e.to} (${e.kind})`);
          return;
        }
        const removed = await edges.removeManual(opts.device, from, to, opts.type);
        if (removed === 0) throw new ConfwatchError('CW_ERR_NOT_FOUND', `No manual edge ${from} -> ${to} on ${opts.device}.`);
        output(opts).result({ removed }, (r) => `removed ${r.removed} edge(s)`);
      });
  }
}

/** A progress line rewritten in place, on stderr when it is a terminal; nothing otherwise. */
function progressLine(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (done, total) => process.stderr.write(`\r${label} ${done}/${total}${done === total ? '\n' : ''}`);
}

function describeImpact(i: Impact): string {
  return [
    `risk: ${i.riskLevel}`,
    ...i.reasons.map((r) => `  - [${r.rule}] ${r.detail}`),
    i.affectedServices.length ? `affected: ${i.affectedServices.join(', ')}` : '',
    i.downstreamServices.length ? `downstream: ${i.downstreamServices.join(', ')}` : '',
    ...i.recommendedActions.map((a) => `  $ ${a}`),
  ]
    .filter(Boolean)
    .join('\n');
}
