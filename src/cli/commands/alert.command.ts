/**
 * `confwatch alert channel add|list|remove`, `alert rule add|list|remove`,
 * `alert test` and `alert log` (SPEC §11.1). Channel URLs are shown only
 * redacted; mutations are audited (`cli:<user>`), naming the channel or
 * rule, never its URL.
 */
import type { Command } from 'commander';
import { auditedCommand, cliActor } from '../cli-audit.js';
import { type CommandEnv, collect, intOption, type SetExit } from '../options.js';

interface RuleOptions {
  channel: string[];
  minRisk?: string;
  device?: string[];
  tag?: string[];
  path?: string[];
  event?: string[];
  quiet?: string;
  digest?: number;
  json?: boolean;
}

export function registerAlertCommands(program: Command, env: CommandEnv, setExit: SetExit): void {
  const { output } = env;
  const services = () => env.ctx.services();
  const alert = program.command('alert').description('alert channels, routing rules, test messages and the delivery log');
  const channel = alert.command('channel').description('where alerts go: ntfy, Gotify, Discord, Slack, PagerDuty, email, JSON webhooks');

  channel
    .command('add')
    .argument('<name>', 'channel name (slug)')
    .argument('<url>', 'ntfy://…, gotify://…, discord://…, slack://…, pagerduty://…, mailto://…, json://… (README, "Alerts")')
    .description('add a channel; its URL is stored encrypted and shown redacted')
    .option('--min-risk <level>', "lowest risk this channel receives (default: its kind's, under the default policy)")
    .option('--json', 'machine-readable output')
    .action(async (name: string, url: string, opts: { minRisk?: string; json?: boolean }) => {
      const s = await services();
      const added = await auditedCommand(s.audit, 'alert.channel.add', [['channel', name]], () => s.alerts.addChannel(name, url, opts.minRisk));
      output(opts).result(added, (c) => `added ${c.kind} channel ${c.name}: ${c.url}`);
    });

  channel
    .command('list')
    .description('list channels (URLs redacted)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const channels = await (await services()).alerts.listChannels();
      output(opts).result(channels, (list) =>
        list.length === 0 ? 'no alert channels; add one with `confwatch alert channel add NAME URL`' : list.map((c) => `${c.name}\t${c.kind}\t${c.minRisk ?? 'default'}\t${c.url}`).join('\n'),
      );
    });

  channel
    .command('remove')
    .argument('<name>')
    .description('remove a channel (its waiting deliveries are marked failed)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const s = await services();
      await auditedCommand(s.audit, 'alert.channel.remove', [['channel', name]], () => s.alerts.removeChannel(name));
      output(opts).result({ removed: name }, () => `removed alert channel ${name}`);
    });

  const rule = alert.command('rule').description('routing rules; with any rule the default policy no longer applies');

  rule
    .command('add')
    .argument('<name>', 'rule name (slug)')
    .description('route matching alerts to channels')
    .requiredOption('--channel <name>', 'channel to send to (repeatable)', collect)
    .option('--min-risk <level>', 'lowest risk that matches: LOW, MEDIUM, HIGH or CRITICAL (default LOW)')
    .option('--device <name>', 'only this device (repeatable)', collect)
    .option('--tag <tag>', 'only devices with this tag (repeatable)', collect)
    .option('--path <glob>', 'only alerts about a file matching this glob (repeatable)', collect)
    .option('--event <type>', 'only this event type (repeatable)', collect)
    .option('--quiet <HH:MM-HH:MM>', 'hold alerts below CRITICAL in this local-time window, then send one summary')
    .option('--digest <seconds>', 'batch alerts below CRITICAL into one message per window', intOption('--digest'))
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: RuleOptions) => {
      const s = await services();
      const added = await auditedCommand(s.audit, 'alert.rule.add', [['rule', name]], () =>
        s.alerts.addRule({
          name,
          channels: opts.channel,
          ...(opts.minRisk !== undefined ? { minRisk: opts.minRisk } : {}),
          devices: opts.device ?? [],
          tags: opts.tag ?? [],
          paths: opts.path ?? [],
          events: opts.event ?? [],
          ...(opts.quiet !== undefined ? { quiet: opts.quiet } : {}),
          ...(opts.digest !== undefined ? { digestSec: opts.digest } : {}),
        }),
      );
      output(opts).result(added, (r) => `added rule ${r.name}: ${r.minRisk}+ → ${r.channels.join(', ')}`);
    });

  rule
    .command('list')
    .description('list rules')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const rules = await (await services()).alerts.listRules();
      output(opts).result(rules, (list) =>
        list.length === 0 ? 'no rules: the default policy applies (MEDIUM → email and webhooks, HIGH → + Slack and Discord, CRITICAL → + PagerDuty)' : list.map((r) => `${r.name}\t${r.minRisk}+\t${r.channels.join(',')}`).join('\n'),
      );
    });

  rule
    .command('remove')
    .argument('<name>')
    .description('remove a rule')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const s = await services();
      await auditedCommand(s.audit, 'alert.rule.remove', [['rule', name]], () => s.alerts.removeRule(name));
      output(opts).result({ removed: name }, () => `removed alert rule ${name}`);
    });

  alert
    .command('test')
    .argument('<channel>')
    .description("send a test message now and report the receiver's answer")
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const s = await services();
      const result = await s.alerts.test(name);
      await s.audit.record({ actor: cliActor(), action: 'alert.test', target: `channel=${name}`, clientAddress: null, result: result.delivered ? 'ok' : 'error', details: null });
      output(opts).result(result, (r) => (r.delivered ? `delivered to ${name} (${r.status})` : `not delivered to ${name}: ${r.error}`));
      if (!result.delivered) setExit(1, `the test message did not reach ${name}: ${result.error}`);
    });

  alert
    .command('log')
    .description('recent deliveries, newest first')
    .option('--limit <n>', 'how many', intOption('--limit'), 50)
    .option('--json', 'machine-readable output')
    .action(async (opts: { limit: number; json?: boolean }) => {
      const log = await (await services()).alerts.log(Math.max(1, opts.limit));
      output(opts).result(log, (list) =>
        list.map((d) => `${d.at}\t${d.status}\t${d.attempts}\t${d.channel}\t${d.riskLevel}\t${d.title}${d.error ? `\t(${d.error})` : ''}`).join('\n'),
      );
    });
}
