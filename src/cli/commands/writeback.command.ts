import type { Command } from 'commander';
import { batchAuditPairs, previewAction } from '../../auth/audit-target.js';
import { ConfwatchError } from '../../errors.js';
import type { WritebackService } from '../../services/writeback.service.js';
import { displayPath } from '../../transport/remote-path.js';
import type { BatchResult } from '../../writeback/batch.js';
import { readChangesFile } from '../../writeback/changes-file.js';
import { auditedCommand, osUserName } from '../cli-audit.js';
import type { CommandEnv } from '../options.js';

/** The OS user running the CLI: the actor recorded on write-back snapshots. */
const osActor = osUserName;

/** `restore`, `drift`, `drift resolve`, `rollback plan|apply` and `apply`: writing back safely. */
export function registerWritebackCommands(program: Command, { ctx, output }: CommandEnv): void {
  /** The service, after repairing any batch a crashed process left behind. */
  const writeback = async (): Promise<WritebackService> => {
    const { writeback: service } = await ctx.services();
    await service.recoverBatches();
    return service;
  };
  const audit = async () => (await ctx.services()).audit;

  program
    .command('restore')
    .argument('<snapshot>', 'snapshot id to write back')
    .option('--dry-run', 'show the diff and the validation result; change nothing')
    .option('--force', 'write even if the live file changed since the latest snapshot or lies outside the watched globs')
    .option('--no-validate', 'skip validation with the real tool')
    .option('--reload', "run the profile's reload command afterwards")
    .option('--json', 'machine-readable output')
    .description('write an earlier version of a file back to its host')
    .action(async (id: string, opts: { dryRun?: boolean; force?: boolean; validate: boolean; reload?: boolean; json?: boolean }) => {
      const action = opts.dryRun ? previewAction('snapshot.restore') : 'snapshot.restore';
      const result = await auditedCommand(await audit(), action, [['id', id]], async (note) => {
        const restored = await (await writeback()).restore({
          snapshotId: id,
          actor: osActor(),
          ...(opts.dryRun ? { dryRun: true } : {}),
          ...(opts.force ? { force: true } : {}),
          ...(opts.validate === false ? { validate: false } : {}),
          ...(opts.reload ? { reload: true } : {}),
        });
        note(['device', restored.device], ['path', restored.path], ['batch', restored.batchId]);
        return restored;
      });
      const out = output(opts);
      if (opts.json) for (const f of result.files) if (f.warning) out.note(`warning: ${displayPath(f.path)}: ${f.warning}`);
      out.result(result, (r) => [batchText(r), r.reload ? `reload (${r.reload.command}): exit ${r.reload.code}\n${r.reload.output}` : ''].filter(Boolean).join('\n'));
    });

  const drift = program
    .command('drift')
    // `drift --device X` lists; `drift resolve --device X PATH` resolves: the option belongs to whichever comes first.
    .enablePositionalOptions()
    .option('--device <name>', 'only this device')
    .option('--json', 'machine-readable output')
    .description('files whose live content differs from their baseline')
    .action(async (opts: { device?: string; json?: boolean }) => {
      const services = await ctx.services();
      if (opts.device) await services.devices.get(opts.device);
      const report = await (await writeback()).checkDrift(opts.device);
      output(opts).result(report, (r) =>
        r.findings.length === 0
          ? `${r.checked} files checked, none drifted`
          : r.findings.map((f) => `${f.device}  ${f.status.padEnd(11)} ${displayPath(f.path)}${f.error ? `  ! ${f.error}` : ''}`).join('\n'),
      );
    });

  drift
    .command('resolve')
    .argument('<path>', 'file path on the device')
    .requiredOption('--device <name>', 'device')
    .option('--restore', 'write the baseline back')
    .option('--accept', 'make the live version the new baseline')
    .option('--no-validate', 'skip validation with the real tool (with --restore)')
    .option('--json', 'machine-readable output')
    .description('end drift by restoring the baseline or accepting the live version')
    .action(async (path: string, opts: { device: string; restore?: boolean; accept?: boolean; validate: boolean; json?: boolean }) => {
      if (Boolean(opts.restore) === Boolean(opts.accept)) throw new ConfwatchError('CW_ERR_USAGE', 'give exactly one of --restore or --accept');
      const services = await ctx.services();
      await services.devices.get(opts.device);
      const resolution = opts.restore ? 'restore' : 'accept';
      if (resolution === 'accept') {
        // the policy may send a CRITICAL acceptance through a change request instead
        await writeback();
        const accepted = await auditedCommand(await audit(), 'drift.resolve', [['device', opts.device], ['path', path]], async (note) => {
          const outcome = await services.changes.acceptDrift(osActor(), opts.device, path);
          note(outcome.gated ? ['change-request', outcome.request.id] : ['snapshot', outcome.snapshotId]);
          return outcome;
        });
        if (accepted.gated) {
          const cr = accepted.request;
          output(opts).result(
            { device: opts.device, path, resolution, changeRequest: { id: cr.id, status: cr.status, riskLevel: cr.riskLevel, requiredApprovals: cr.requiredApprovals } },
            () => `accepting ${opts.device}:${displayPath(path)} is ${cr.riskLevel}: proposed as change request ${cr.id} (${cr.requiredApprovals} approvals needed); see \`confwatch change show ${cr.id}\``,
          );
          return;
        }
        const done = { device: opts.device, path, resolution, snapshotId: accepted.snapshotId };
        output(opts).result(done, (r) => `${r.device}:${displayPath(r.path)} resolved by ${r.resolution}; baseline is now ${r.snapshotId}`);
        return;
      }
      const result = await auditedCommand(await audit(), 'drift.resolve', [['device', opts.device], ['path', path]], async (note) => {
        const resolved = await (await writeback()).resolveDrift({
          device: opts.device,
          path,
          resolution,
          actor: osActor(),
          ...(opts.validate === false ? { validate: false } : {}),
        });
        note(['snapshot', resolved.snapshotId]);
        return resolved;
      });
      output(opts).result(result, (r) => `${r.device}:${displayPath(r.path)} resolved by ${r.resolution}; baseline is now ${r.snapshotId}`);
    });

  const rollback = program.command('rollback').description('plan and apply multi-file rollbacks');

  rollback
    .command('plan')
    .requiredOption('--device <name>', 'device')
    .option('--to <time>', 'ISO-8601 time to go back to')
    .option('--change-set <id>', 'undo this change set and everything after it')
    .option('--json', 'machine-readable output')
    .description('store a plan that returns the device to an earlier state')
    .action(async (opts: { device: string; to?: string; changeSet?: string; json?: boolean }) => {
      if (Boolean(opts.to) === Boolean(opts.changeSet)) throw new ConfwatchError('CW_ERR_USAGE', 'give exactly one of --to TIME or --change-set ID');
      const services = await ctx.services();
      await services.devices.get(opts.device);
      const plan = await auditedCommand(await audit(), 'rollback.plan', [['device', opts.device]], async (note) => {
        const planned = await (await writeback()).planRollback(opts.device, opts.to ? { time: opts.to } : { changeSetId: opts.changeSet! });
        note(['id', planned.id]);
        return planned;
      });
      output(opts).result(plan, (p) =>
        [`plan ${p.id}: ${p.steps.length} steps`, ...p.steps.map((s) => `  ${s.action.padEnd(8)} ${displayPath(s.path)}`), `apply with: confwatch rollback apply ${p.id}`].join('\n'),
      );
    });

  rollback
    .command('apply')
    .argument('<plan>', 'plan id')
    .option('--no-validate', 'skip validation with the real tool')
    .option('--json', 'machine-readable output')
    .description('execute a rollback plan as one atomic batch')
    .action(async (id: string, opts: { validate: boolean; json?: boolean }) => {
      const plan = await auditedCommand(await audit(), 'rollback.apply', [['id', id]], async (note) => {
        const applied = await (await writeback()).applyPlan(id, osActor(), opts.validate === false ? { validate: false } : {});
        note(['device', applied.device]);
        return applied;
      });
      output(opts).result(plan, (p) => `plan ${p.id} ${p.status}: ${p.steps.length} files`);
    });

  program
    .command('apply')
    .argument('<file>', 'changes file (YAML)')
    .option('--dry-run', 'show diffs and validation; change nothing')
    .option('--json', 'machine-readable output')
    .description('apply a changes file as one atomic batch across hosts')
    .action(async (file: string, opts: { dryRun?: boolean; json?: boolean }) => {
      const changes = readChangesFile(file);
      const action = opts.dryRun ? previewAction('batch.apply') : 'batch.apply';
      const result = await auditedCommand(await audit(), action, batchAuditPairs(changes.changes), async (note) => {
        const applied = await (await writeback()).apply(changes, { actor: osActor(), ...(opts.dryRun ? { dryRun: true } : {}) });
        note(['id', applied.batchId]);
        return applied;
      });
      output(opts).result(result, (r) => [batchText(r), ...r.reloads.map((x) => `reload on ${x.device} (${x.result.command}): exit ${x.result.code}`)].join('\n'));
    });
}

function batchText(result: BatchResult): string {
  const lines = result.files.map(
    (f) =>
      `${f.action.padEnd(9)} ${f.device}:${displayPath(f.path)}${f.validation ? `  [${f.validation.status}: ${f.validation.tool}]` : ''}${f.refused ? `  [refused: ${f.refused}]` : ''}${
        f.warning ? `\n          warning: ${f.warning}` : ''
      }`,
  );
  if (result.status === 'dry-run') lines.push('', ...result.files.map((f) => f.diff), '(dry run: nothing was changed)');
  return lines.join('\n');
}
