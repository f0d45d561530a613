/**
 * `confwatch change propose|list|show|approve|reject|apply|cancel|edit|
 * rebase|policy` (SPEC §11.2). The CLI acts as the confwatch user named by
 * `--as USER` or `CONFWATCH_USER`, by default the first admin; every
 * mutation is audited (`cli:<OS user>`, with `as=<user>` in its target).
 */
import type { Command } from 'commander';
import { isRiskLevel, type RiskLevel } from '../../analysis/risk-level.js';
import { ConfwatchError } from '../../errors.js';
import type { ChangeRequestView } from '../../services/change-request.service.js';
import type { Services } from '../../services/services.js';
import { CHANGE_REQUEST_STATUSES, type ChangeRequestStatus } from '../../store/change-requests.repository.js';
import { displayPath } from '../../transport/remote-path.js';
import { readChangesFile } from '../../writeback/changes-file.js';
import { auditedCommand } from '../cli-audit.js';
import { type CommandEnv, collect, intOption, type SetExit } from '../options.js';

interface ActorOptions {
  as?: string;
  json?: boolean;
}

const usage = (message: string) => new ConfwatchError('CW_ERR_USAGE', message);

/** The user the CLI acts as: `--as`, else CONFWATCH_USER, else the first admin. Unknown users are refused. */
export async function actorOf(services: Services, opts: { as?: string }): Promise<string> {
  const named = opts.as ?? process.env.CONFWATCH_USER;
  if (named === undefined || named === '') return services.changes.defaultActor();
  await services.changes.assertUser(named);
  return named;
}

export function describeRequest(r: ChangeRequestView): string {
  const needs = r.status === 'pending' ? `  ${r.approvals.length} of ${r.requiredApprovals} approvals` : '';
  const lines = [`${r.id}  ${r.status}  ${r.riskLevel}${needs}`, `  ${r.title} (by ${r.author}, revision ${r.revision}, expires ${r.expiresAt})`];
  for (const f of r.files) {
    lines.push(`  ${f.action.padEnd(9)} ${f.device}:${displayPath(f.path)}  ${f.riskLevel}${f.validation ? `  validation ${f.validation.status}` : ''}`);
    for (const reason of f.impact.reasons) lines.push(`      ${reason.level}: ${reason.detail}`);
  }
  for (const a of r.approvals) lines.push(`  approved by ${a.user}${a.comment ? `: ${a.comment}` : ''}`);
  for (const j of r.rejections) lines.push(`  rejected by ${j.user}: ${j.comment ?? ''}`);
  if (r.outcome?.breakGlass) lines.push(`  break-glass by ${r.outcome.breakGlass.by}: ${r.outcome.breakGlass.reason}`);
  if (r.outcome?.conflicts?.length) for (const c of r.outcome.conflicts) lines.push(`  conflict: ${c.device}:${displayPath(c.path)} is ${c.liveHash ?? '(absent)'}, approved against ${c.baseHash ?? '(absent)'}`);
  if (r.outcome?.error && r.status !== 'conflict') lines.push(`  error: ${r.outcome.error}`);
  return lines.join('\n');
}

export function registerChangeCommands(program: Command, env: CommandEnv, setExit: SetExit): void {
  const { output } = env;
  const services = () => env.ctx.services();
  const change = program.command('change').description('change requests: propose, review and apply write-backs with risk-based approvals');
  const asOption = (c: Command) => c.option('--as <user>', 'act as this confwatch user (default: $CONFWATCH_USER, else the first admin)').option('--json', 'machine-readable output');

  asOption(
    change
      .command('propose')
      .argument('<file>', 'changes file (the format of `confwatch apply`)')
      .option('--title <text>', 'what the change is for')
      .option('--apply-on-approval', 'apply as soon as the last required approval arrives')
      .description('propose the changes of a changes file for approval; nothing is written'),
  ).action(async (file: string, opts: ActorOptions & { title?: string; applyOnApproval?: boolean }) => {
    const changes = readChangesFile(file);
    const s = await services();
    const actor = await actorOf(s, opts);
    const view = await auditedCommand(s.audit, 'change.propose', [['as', actor]], async (note) => {
      const proposed = await s.changes.propose(actor, {
        ...(opts.title !== undefined ? { title: opts.title } : {}),
        changes: changes.changes,
        validate: changes.validate,
        reload: changes.reload,
        applyOnApproval: opts.applyOnApproval === true,
      });
      note(['id', proposed.id]);
      return proposed;
    });
    output(opts).result(view, (r) =>
      [describeRequest(r), r.status === 'pending' ? `approve with: confwatch change approve ${r.id} --as USER` : r.status === 'approved' ? `apply with: confwatch change apply ${r.id}` : ''].filter(Boolean).join('\n'),
    );
  });

  change
    .command('list')
    .option('--status <status>', `only this status (${CHANGE_REQUEST_STATUSES.join(', ')})`)
    .option('--json', 'machine-readable output')
    .description('change requests, newest first')
    .action(async (opts: { status?: string; json?: boolean }) => {
      if (opts.status !== undefined && !(CHANGE_REQUEST_STATUSES as readonly string[]).includes(opts.status)) throw usage(`--status must be one of ${CHANGE_REQUEST_STATUSES.join(', ')}`);
      const list = await (await services()).changes.list(opts.status ? { status: opts.status as ChangeRequestStatus } : {});
      output(opts).result(list, (l) =>
        l.length === 0 ? 'no change requests' : l.map((r) => `${r.id}  ${r.status.padEnd(9)} ${r.riskLevel.padEnd(8)} ${r.approvals.length}/${r.requiredApprovals}  ${r.author}  ${r.title}`).join('\n'),
      );
    });

  change
    .command('show')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .description('one change request with its per-file diffs and impact')
    .action(async (id: string, opts: { json?: boolean }) => {
      const view = await (await services()).changes.get(id);
      output(opts).result(view, (r) => [describeRequest(r), ...r.files.map((f) => f.diff)].filter(Boolean).join('\n'));
    });

  asOption(change.command('approve').argument('<id>').option('--comment <text>', 'why').description('approve a change request (never your own)')).action(
    async (id: string, opts: ActorOptions & { comment?: string }) => {
      const s = await services();
      const actor = await actorOf(s, opts);
      const view = await auditedCommand(s.audit, 'change.approve', [['id', id], ['as', actor]], () => s.changes.approve(actor, id, opts.comment));
      output(opts).result(view, describeRequest);
      if (view.status === 'failed' || view.status === 'conflict') setExit(1, `change request ${id} was approved but its apply ended ${view.status}`);
    },
  );

  asOption(change.command('reject').argument('<id>').requiredOption('--comment <text>', 'why (required)').description('reject a change request; any rejection rejects it')).action(
    async (id: string, opts: ActorOptions & { comment: string }) => {
      const s = await services();
      const actor = await actorOf(s, opts);
      const view = await auditedCommand(s.audit, 'change.reject', [['id', id], ['as', actor]], () => s.changes.reject(actor, id, opts.comment));
      output(opts).result(view, describeRequest);
    },
  );

  asOption(
    change
      .command('apply')
      .argument('<id>')
      .option('--break-glass', 'admins: apply without the approvals (audited, alerted CRITICAL); needs --reason')
      .option('--reason <text>', 'why break-glass was needed')
      .description('apply an approved change request through the batch engine'),
  ).action(async (id: string, opts: ActorOptions & { breakGlass?: boolean; reason?: string }) => {
    if (opts.reason !== undefined && !opts.breakGlass) throw usage('--reason goes with --break-glass');
    if (opts.breakGlass && !opts.reason?.trim()) throw usage('--break-glass needs --reason TEXT');
    const s = await services();
    await s.writeback.recoverBatches();
    const actor = await actorOf(s, opts);
    const target: [string, string][] = [['id', id], ['as', actor], ...(opts.breakGlass ? [['break-glass', 'yes'] as [string, string]] : [])];
    const view = await auditedCommand(s.audit, 'change.apply', target, () => s.changes.apply(actor, id, opts.breakGlass ? { breakGlass: { reason: opts.reason! } } : {}));
    output(opts).result(view, describeRequest);
    if (view.status === 'conflict') setExit(1, `change request ${id} conflicts: a target changed since it was approved; nothing was written. Rebase it with \`confwatch change rebase ${id}\``);
    else if (view.status !== 'applied') setExit(1, `change request ${id} was not applied (${view.status}): ${view.outcome?.error ?? ''}`);
  });

  asOption(change.command('cancel').argument('<id>').description('cancel an open change request (author or admin)')).action(async (id: string, opts: ActorOptions) => {
    const s = await services();
    const actor = await actorOf(s, opts);
    const view = await auditedCommand(s.audit, 'change.cancel', [['id', id], ['as', actor]], () => s.changes.cancel(actor, id));
    output(opts).result(view, describeRequest);
  });

  asOption(
    change
      .command('edit')
      .argument('<id>')
      .argument('<file>', 'changes file replacing the request’s changes')
      .option('--title <text>', 'new title')
      .description('replace a change request’s changes (author or admin); its approvals start again'),
  ).action(async (id: string, file: string, opts: ActorOptions & { title?: string }) => {
    const changes = readChangesFile(file);
    const s = await services();
    const actor = await actorOf(s, opts);
    const view = await auditedCommand(s.audit, 'change.edit', [['id', id], ['as', actor]], () =>
      s.changes.edit(actor, id, { ...(opts.title !== undefined ? { title: opts.title } : {}), changes: changes.changes, validate: changes.validate, reload: changes.reload }),
    );
    output(opts).result(view, describeRequest);
  });

  asOption(change.command('rebase').argument('<id>').description('read every target again as the new base and reassess; approvals start again')).action(
    async (id: string, opts: ActorOptions) => {
      const s = await services();
      const actor = await actorOf(s, opts);
      const view = await auditedCommand(s.audit, 'change.rebase', [['id', id], ['as', actor]], () => s.changes.rebase(actor, id));
      output(opts).result(view, describeRequest);
    },
  );

  change
    .command('policy')
    .option('--approvals <LEVEL=N>', 'approvals a risk level needs, e.g. HIGH=2 (repeatable)', collect)
    .option('--expiry-days <n>', 'days an open request lives', intOption('--expiry-days'))
    .option('--drift-approval <on|off|default>', 'accepting drift on a CRITICAL file needs a change request (default: the global setting, for --device)')
    .option('--device <name>', 'with --drift-approval: this device only')
    .option('--json', 'machine-readable output')
    .description('show or change the approval policy')
    .action(async (opts: { approvals?: string[]; expiryDays?: number; driftApproval?: string; device?: string; json?: boolean }) => {
      const approvals: Partial<Record<RiskLevel, number>> = {};
      for (const pair of opts.approvals ?? []) {
        const m = /^([A-Za-z]+)=(\d+)$/.exec(pair);
        const level = m?.[1]?.toUpperCase();
        if (!m || !level || !isRiskLevel(level)) throw usage(`--approvals takes LEVEL=N with LEVEL one of LOW, MEDIUM, HIGH, CRITICAL, got "${pair}"`);
        approvals[level] = Number(m[2]);
      }
      const drift = opts.driftApproval;
      if (drift !== undefined && !['on', 'off', 'default'].includes(drift)) throw usage('--drift-approval must be on, off or default');
      if (drift === 'default' && !opts.device) throw usage('--drift-approval default needs --device');
      if (opts.device && drift === undefined) throw usage('--device goes with --drift-approval');
      const s = await services();
      const changing = Object.keys(approvals).length > 0 || opts.expiryDays !== undefined || drift !== undefined;
      const patch = {
        ...(Object.keys(approvals).length > 0 ? { approvals } : {}),
        ...(opts.expiryDays !== undefined ? { expiryDays: opts.expiryDays } : {}),
        ...(drift !== undefined ? { driftApproval: { enabled: drift === 'default' ? null : drift === 'on', ...(opts.device ? { device: opts.device } : {}) } } : {}),
      };
      const policy = changing ? await auditedCommand(s.audit, 'change.policy', [], () => s.changes.setPolicy(patch)) : await s.changes.policy();
      output(opts).result(policy, (p) =>
        [
          `approvals: ${Object.entries(p.approvals).map(([level, n]) => `${level} ${n}`).join(', ')}`,
          `expiry: ${p.expiryDays} days`,
          `drift approval: ${p.driftApproval.global ? 'on' : 'off'}${Object.entries(p.driftApproval.devices).map(([d, on]) => `, ${d} ${on ? 'on' : 'off'}`).join('')}`,
        ].join('\n'),
      );
    });
}
