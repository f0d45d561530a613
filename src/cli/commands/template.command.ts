/**
 * `confwatch template add|list|show|remove|render|apply` (SPEC §11.2).
 * `render` never touches a host: its `valid` is the config type's parser's
 * verdict. `apply` renders, validates on the device and proposes a change
 * request. Mutations are audited (`cli:<user>`), naming the template.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfwatchError } from '../../errors.js';
import { mergeVariables } from '../../templates/variables.js';
import { auditedCommand, cliActor } from '../cli-audit.js';
import { actorOf } from './change.command.js';
import { type CommandEnv, collect, intOption, type SetExit } from '../options.js';

interface VarOptions {
  var?: string[];
  vars?: string;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfwatchError('CW_ERR_INPUT', `cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function readJson(file: string, what: string): unknown {
  const text = readText(file, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfwatchError('CW_ERR_INPUT', `${what} ${file} is not JSON: ${(error as Error).message}`);
  }
}

/** `--vars FILE.json` then each `--var k=v` over it. */
function variablesOf(opts: VarOptions): Record<string, unknown> {
  const base = opts.vars === undefined ? {} : readJson(opts.vars, 'variables file');
  if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new ConfwatchError('CW_ERR_INPUT', `variables file ${opts.vars} must hold a JSON object`);
  return mergeVariables(base as Record<string, unknown>, opts.var ?? []);
}

export function registerTemplateCommands(program: Command, env: CommandEnv, setExit: SetExit): void {
  const { output } = env;
  const services = () => env.ctx.services();
  const template = program.command('template').description('config templates: versioned, rendered in a sandbox, applied as change requests');

  template
    .command('add')
    .argument('<name>', 'template name (slug); an existing name gets its next version')
    .argument('<file>', 'the template body (Liquid)')
    .requiredOption('--type <type>', 'config type of the output: nginx, compose, systemd, sshd, env or generic')
    .option('--schema <file>', 'JSON Schema of the variables (checked before every render)')
    .option('--description <text>', 'what the template is for')
    .option('--json', 'machine-readable output')
    .description('add a template, or a new version of one')
    .action(async (name: string, file: string, opts: { type: string; schema?: string; description?: string; json?: boolean }) => {
      const body = readText(file, 'template');
      const schema = opts.schema === undefined ? undefined : readJson(opts.schema, 'schema');
      const s = await services();
      const added = await auditedCommand(s.audit, 'template.add', [['template', name]], () =>
        s.templates.add(name, { type: opts.type, body, ...(schema !== undefined ? { schema } : {}), ...(opts.description !== undefined ? { description: opts.description } : {}) }, cliActor()),
      );
      output(opts).result(added, (t) => `added template ${t.name} v${t.version} (${t.type})`);
    });

  template
    .command('list')
    .description('list built-in and stored templates')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const list = await (await services()).templates.list();
      output(opts).result(list, (all) => all.map((t) => `${t.name}\tv${t.version}\t${t.type}\t${t.builtin ? 'built-in' : (t.createdBy ?? '')}\t${t.description ?? ''}`).join('\n'));
    });

  template
    .command('show')
    .argument('<name>')
    .description('show a template: its latest body and schema, and its versions')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const detail = await (await services()).templates.show(name);
      output(opts).result(detail, (t) =>
        [
          `${t.name} v${t.version} (${t.type})${t.builtin ? ' built-in' : ''}${t.description ? ` — ${t.description}` : ''}`,
          `versions: ${t.versions.map((v) => `v${v.version}${v.createdAt ? ` ${v.createdAt}` : ''}${v.createdBy ? ` by ${v.createdBy}` : ''}`).join(', ')}`,
          '',
          t.body,
        ].join('\n'),
      );
    });

  template
    .command('remove')
    .argument('<name>')
    .description('remove a template (every version)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const s = await services();
      await auditedCommand(s.audit, 'template.remove', [['template', name]], () => s.templates.remove(name));
      output(opts).result({ removed: name }, () => `removed template ${name}`);
    });

  template
    .command('render')
    .argument('<name>')
    .description('render with variables and parse the output; never touches a host (valid = the parser found no errors)')
    .option('--var <k=v>', 'a variable (repeatable; JSON values such as 8080 or ["a"] are typed)', collect)
    .option('--vars <file>', 'variables from a JSON object file (--var entries override it)')
    .option('--version <n>', 'render this version (default: the latest)', intOption('--version'))
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: VarOptions & { version?: number; json?: boolean }) => {
      const variables = variablesOf(opts);
      const result = await (await services()).templates.render(name, { variables, ...(opts.version !== undefined ? { version: opts.version } : {}) });
      output(opts).result({ content: result.content, valid: result.valid, errors: result.errors, template: result.template, version: result.version, type: result.type }, (r) => r.content);
      if (!result.valid) setExit(1, `template ${name} v${result.version} renders a ${result.type} file its parser refuses: ${result.errors[0]}`);
    });

  template
    .command('apply')
    .argument('<name>')
    .description('render, validate on the device, and propose a change request')
    .requiredOption('--device <name>', 'target device')
    .requiredOption('--path <path>', 'target file on the device')
    .option('--var <k=v>', 'a variable (repeatable)', collect)
    .option('--vars <file>', 'variables from a JSON object file')
    .option('--version <n>', 'apply this version (default: the latest)', intOption('--version'))
    .option('--title <text>', 'the change request title')
    .option('--as <user>', 'propose as this confwatch user (default: $CONFWATCH_USER, else the first admin)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: VarOptions & { device: string; path: string; version?: number; title?: string; as?: string; json?: boolean }) => {
      const variables = variablesOf(opts);
      const s = await services();
      const actor = await actorOf(s, opts);
      const result = await auditedCommand(
        s.audit,
        'template.apply',
        [
          ['template', name],
          ['device', opts.device],
          ['path', opts.path],
          ['as', actor],
        ],
        async (note) => {
          const applied = await s.templates.apply(
            name,
            {
              device: opts.device,
              path: opts.path,
              variables,
              ...(opts.version !== undefined ? { version: opts.version } : {}),
              ...(opts.title !== undefined ? { title: opts.title } : {}),
            },
            actor,
          );
          note(['request', applied.changeRequest.id]);
          return applied;
        },
      );
      output(opts).result(result, (r) => `proposed change request ${r.changeRequest.id} (${r.changeRequest.status}, risk ${r.changeRequest.riskLevel}): ${r.template} v${r.version} → ${r.device}:${r.path} [${r.validation ? `${r.validation.status}, ${r.validation.tool}` : 'not validated'}]`);
    });
}
