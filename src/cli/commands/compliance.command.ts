/**
 * `confwatch compliance` (SPEC §11.3): run the rules, list them, add and
 * remove custom rules, waive a rule on a device, and write the report.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { reportHtml, reportMarkdown } from '../../compliance/report.js';
import { ConfwatchError } from '../../errors.js';
import { auditedCommand, cliActor } from '../cli-audit.js';
import type { CommandEnv } from '../options.js';
import { actorOf, describeRequest } from './change.command.js';

const FORMATS = ['json', 'markdown', 'html'] as const;

export function registerComplianceCommands(program: Command, { ctx, output }: CommandEnv): void {
  const compliance = program.command('compliance').description('compliance rules (sshd, nginx, compose, systemd): results, waivers, reports');
  const services = () => ctx.services();

  compliance
    .command('run')
    .option('--device <name>', 'only this device (default: every device)')
    .option('--json', 'machine-readable output')
    .description('evaluate every rule on the latest version of each tracked file and store the results')
    .action(async (opts: { device?: string; json?: boolean }) => {
      const result = await (await services()).compliance.run(opts.device !== undefined ? { device: opts.device } : {});
      output(opts).result(result, (r) => {
        const lines = r.findings.map((f) => `${f.status.padEnd(6)} ${f.severity.padEnd(8)} ${f.device} ${f.line ? `${f.path}:${f.line}` : f.path} ${f.rule}: ${f.message ?? ''}`);
        const s = r.summary;
        return [...lines, `${s.pass} pass, ${s.fail} fail, ${s.waived} waived, ${s.error} error`].join('\n');
      });
    });

  compliance
    .command('rules')
    .option('--json', 'machine-readable output')
    .description('list the built-in packs and custom rules')
    .action(async (opts: { json?: boolean }) => {
      const rules = await (await services()).compliance.rules();
      const listed = rules.map((r) => ({ id: r.id, title: r.title, severity: r.severity, configType: r.configType, source: r.source, custom: r.custom === true, ...(r.measuredBy ? { measuredBy: r.measuredBy } : {}) }));
      output(opts).result(listed, (list) => list.map((r) => `${r.id.padEnd(36)} ${r.severity.padEnd(8)} ${r.title} [${r.source.ref}]`).join('\n'));
    });

  const rule = compliance.command('rule').description('custom rules');
  rule
    .command('add')
    .argument('<file>', 'YAML file with one rule, a list, or rules: [...]')
    .option('--json', 'machine-readable output')
    .description('validate and add custom rules')
    .action(async (file: string, opts: { json?: boolean }) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new ConfwatchError('CW_ERR_INPUT', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      const { compliance: service, audit } = await services();
      const added = await auditedCommand(audit, 'compliance.rule.add', [['file', file]], async (note) => {
        const rules = await service.addRules(text, file, cliActor());
        note(['rules', rules.map((r) => r.id).join(',')]);
        return rules;
      });
      output(opts).result({ added: added.map((r) => r.id) }, (r) => `added ${r.added.join(', ')}`);
    });
  rule
    .command('remove')
    .argument('<id>', 'custom rule id')
    .option('--json', 'machine-readable output')
    .description('remove a custom rule and its results')
    .action(async (id: string, opts: { json?: boolean }) => {
      const { compliance: service, audit } = await services();
      await auditedCommand(audit, 'compliance.rule.remove', [['rule', id]], () => service.removeRule(id));
      output(opts).result({ removed: id }, (r) => `removed ${r.removed}`);
    });

  compliance
    .command('waive')
    .argument('<rule>', 'rule id')
    .requiredOption('--device <name>', 'device')
    .option('--path <path>', 'only this file (default: every file of the device)')
    .requiredOption('--reason <text>', 'why the failure is accepted')
    .option('--expires <iso>', 'when the waiver ends (ISO-8601; default: never)')
    .option('--json', 'machine-readable output')
    .description('accept a failing rule on a device (or one file) until an expiry')
    .action(async (ruleId: string, opts: { device: string; path?: string; reason: string; expires?: string; json?: boolean }) => {
      const { compliance: service, audit } = await services();
      const target: [string, string][] = [
        ['rule', ruleId],
        ['device', opts.device],
        ...(opts.path ? ([['path', opts.path]] as [string, string][]) : []),
      ];
      const waiver = await auditedCommand(audit, 'compliance.waive', target, () =>
        service.waive({
          rule: ruleId,
          device: opts.device,
          reason: opts.reason,
          by: cliActor(),
          ...(opts.path ? { path: opts.path } : {}),
          ...(opts.expires ? { expires: opts.expires } : {}),
        }),
      );
      output(opts).result(waiver, (w) => `waived ${w.rule} on ${w.device}${w.path ? ` ${w.path}` : ''} ${w.expiresAt ? `until ${w.expiresAt}` : 'with no expiry'}`);
    });

  compliance
    .command('fix')
    .argument('<rule>', 'rule id')
    .requiredOption('--device <name>', 'device')
    .requiredOption('--path <path>', 'file on the device')
    .option('--propose', 'also open a change request with the fixed file (it takes the approvals its risk asks for)')
    .option('--as <user>', 'with --propose: act as this confwatch user (default: $CONFWATCH_USER, else the first admin)')
    .option('--json', 'machine-readable output')
    .description("a rule's mechanical fix as a diff of the latest stored version; nothing is written, --propose makes it a change request")
    .action(async (ruleId: string, opts: { device: string; path: string; propose?: boolean; as?: string; json?: boolean }) => {
      const all = await services();
      if (!opts.propose) {
        output(opts).result(await all.compliance.fix(ruleId, opts.device, opts.path), (f) => f.diff);
        return;
      }
      const fix = await all.compliance.proposeFix(await actorOf(all, opts), ruleId, opts.device, opts.path);
      output(opts).result(fix, (f) => `${f.diff}\n${describeRequest(f.changeRequest)}`);
    });

  compliance
    .command('report')
    .option('--format <format>', `${FORMATS.join(' | ')}`, 'json')
    .option('--device <name>', 'only this device')
    .option('--out <file>', 'write the report to this file (default: stdout)')
    .option('--json', 'machine-readable output (with --out: where it was written)')
    .description('the compliance report: fleet summary, score per device and pack, findings with remediation and sources')
    .action(async (opts: { format: string; device?: string; out?: string; json?: boolean }) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new ConfwatchError('CW_ERR_USAGE', `--format must be one of ${FORMATS.join(', ')}`);
      const report = await (await services()).compliance.report(opts.device);
      const text = opts.format === 'html' ? reportHtml(report) : opts.format === 'markdown' ? reportMarkdown(report) : `${JSON.stringify(report, null, 2)}\n`;
      if (opts.out) {
        writeFileSync(opts.out, text);
        output(opts).result({ out: opts.out, format: opts.format, devices: report.devices.length }, (r) => `wrote ${r.out}`);
      } else process.stdout.write(text);
    });
}
