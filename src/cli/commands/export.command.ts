import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, constants, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { previewAction } from '../../auth/audit-target.js';
import { ConfwatchError } from '../../errors.js';
import { GIT_HISTORY_SOURCES, type GitHistorySource, type ImportMode, type ImportResult } from '../../services/archive.service.js';
import { displayPath } from '../../transport/remote-path.js';
import { auditedCommand, cliActor } from '../cli-audit.js';
import { type CommandEnv, collect } from '../options.js';
import { actorOf } from './change.command.js';

async function readPassphrase(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const passphrase = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!passphrase) throw new ConfwatchError('CW_ERR_USAGE', '--passphrase-stdin: stdin held no passphrase');
  return passphrase;
}

/** A one-line progress bar on stderr, only when stderr is a terminal. */
function progressBar(): { update(done: number, total: number, bytes: number): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return {
    update(done, total, bytes) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const width = 30;
      const filled = total ? Math.round((done / total) * width) : width;
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} blobs, ${(bytes / 1048576).toFixed(1)} MiB`);
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}

/** `export` and `import`: archives and the git mirror (SPEC §11.4). */
export function registerExportCommands(program: Command, { ctx, output }: CommandEnv): void {
  program
    .command('export')
    .option('--device <name>', 'only this device (repeatable)', collect)
    .option('--history', 'every version with its timestamps, actors and change sets, not only the latest bytes')
    .option('--passphrase-stdin', 'encrypt the archive (AES-256-GCM, scrypt) with a passphrase read from stdin')
    .option('--out <file>', 'write the archive here (gzip\'d tar)')
    .option('--git <dir>', 'append the history to a git mirror in this directory instead')
    .option('--no-redact', 'git mirror: keep secret-looking values (the mirror then holds secrets)')
    .option('--json', 'machine-readable output')
    .description('export devices and their files (and history) to an archive, or to a git mirror')
    .action(async (opts: { device?: string[]; history?: boolean; passphraseStdin?: boolean; out?: string; git?: string; redact: boolean; json?: boolean }) => {
      const out = output(opts);
      if (opts.git && opts.out) throw new ConfwatchError('CW_ERR_USAGE', 'give either --out FILE or --git DIR, not both');
      if (!opts.git && !opts.out) throw new ConfwatchError('CW_ERR_USAGE', 'export needs --out FILE (an archive) or --git DIR (a git mirror)');
      if (opts.git && (opts.passphraseStdin || opts.history)) throw new ConfwatchError('CW_ERR_USAGE', '--git always writes the whole history and takes no --passphrase-stdin or --history');
      const services = await ctx.services();
      if (opts.git) {
        const dir = resolve(opts.git);
        if (!opts.redact) out.note('warning: --no-redact: the mirror keeps secret-looking values; protect it like the configs themselves');
        const result = await auditedCommand(services.audit, 'export.git', [['dir', dir]], () =>
          services.archive.gitMirror(dir, { ...(opts.device ? { devices: opts.device } : {}), redact: opts.redact }),
        );
        out.result(result, (r) => `${r.commits} commit${r.commits === 1 ? '' : 's'} (${r.versions} versions) appended to ${r.dir}${r.redacted ? '' : ' (not redacted)'}`);
        return;
      }
      const passphrase = opts.passphraseStdin ? await readPassphrase() : undefined;
      const target = resolve(opts.out as string);
      await access(dirname(target), constants.W_OK).catch((error: NodeJS.ErrnoException) => {
        throw new ConfwatchError('CW_ERR_INPUT', `cannot write ${target}: ${error.code ?? error.message} on its directory`);
      });
      // the archive holds secrets-bearing configs: a name nobody can guess, created exclusively (never through a planted link)
      const partial = `${target}.partial-${randomBytes(8).toString('hex')}`;
      const bar = progressBar();
      const result = await auditedCommand(services.audit, 'export.archive', [['file', target], ['history', String(opts.history === true)]], async () => {
        const file = createWriteStream(partial, { mode: 0o600, flags: 'wx' });
        let created = false;
        file.once('open', () => {
          created = true;
        });
        try {
          const done = await services.archive.export(file, {
            ...(opts.device ? { devices: opts.device } : {}),
            history: opts.history === true,
            ...(passphrase !== undefined ? { passphrase } : {}),
            onProgress: (p) => bar.update(p.blobs, p.totalBlobs, p.bytes),
          });
          await rename(partial, target);
          return { file: target, ...done };
        } catch (error) {
          if (created) await rm(partial, { force: true });
          throw error;
        } finally {
          bar.end();
        }
      });
      if (!result.encrypted) out.note(`note: ${target} is not encrypted and holds the configs as they are, secrets included; use --passphrase-stdin to encrypt it`);
      out.result(result, (r) =>
        `${r.file}: ${r.devices} device${r.devices === 1 ? '' : 's'}, ${r.files} files${r.versions ? `, ${r.versions} versions` : ''}, ${r.blobs} blobs (${r.contentBytes} bytes)${r.encrypted ? ', encrypted' : ''}`,
      );
    });

  program
    .command('import')
    .argument('<file>', 'an archive made by `confwatch export` (with --from: a git repository)')
    .option('--passphrase-stdin', 'the passphrase of an encrypted archive, read from stdin')
    .option('--dry-run', 'show what would change (a unified diff per file against the live host); write nothing')
    .option('--propose', 'open a change request with the archive\'s files')
    .option('--apply', 'write the archive\'s files to their hosts as one atomic, validated batch')
    .option('--history-only', 'copy the history into this instance (another confwatch, or SQLite to PostgreSQL)')
    .option('--from <tool>', 'FILE is the git repository of etckeeper or oxidized: import its commits as versions')
    .option('--device <name>', 'with --from: the device the repository\'s files belong to')
    .option('--json', 'machine-readable output')
    .description('check an archive, then preview, apply, or import its history')
    .action(async (file: string, opts: { passphraseStdin?: boolean; dryRun?: boolean; propose?: boolean; apply?: boolean; historyOnly?: boolean; from?: string; device?: string; json?: boolean }) => {
      if (opts.from !== undefined) {
        if (!(opts.from in GIT_HISTORY_SOURCES)) throw new ConfwatchError('CW_ERR_USAGE', `--from must be ${Object.keys(GIT_HISTORY_SOURCES).join(' or ')}, got "${opts.from}"`);
        if (!opts.device) throw new ConfwatchError('CW_ERR_USAGE', '--from needs --device NAME: the device the repository\'s files belong to');
        if (opts.apply || opts.propose || opts.passphraseStdin) throw new ConfwatchError('CW_ERR_USAGE', '--from imports history only; it takes no --apply, --propose or --passphrase-stdin');
        const services = await ctx.services();
        const dir = resolve(file);
        const from = opts.from as GitHistorySource;
        const device = opts.device;
        const result = await auditedCommand(services.audit, opts.dryRun ? previewAction('import.git') : 'import.git', [['dir', dir], ['device', device]], () =>
          services.archive.importGitHistory(dir, { from, device, ...(opts.dryRun ? { dryRun: true } : {}) }),
        );
        output(opts).result(result, (r) => `${r.dryRun ? 'would import' : 'imported'} ${r.versions} versions from ${r.commits} ${r.from} commits into ${r.device} (${r.alreadyPresent} already here)${r.skipped.length ? `; skipped ${r.skipped.length}: ${r.skipped.map((s) => `${s.path} (${s.reason})`).join(', ')}` : ''}`);
        return;
      }
      if (opts.device) throw new ConfwatchError('CW_ERR_USAGE', '--device goes with --from; an archive names its devices');
      const modes = [opts.propose && 'propose', opts.apply && 'apply', opts.historyOnly && 'history-only'].filter(Boolean);
      if (modes.length > 1) throw new ConfwatchError('CW_ERR_USAGE', `--propose, --apply and --history-only exclude each other (got ${modes.map((m) => `--${m}`).join(', ')})`);
      const passphrase = opts.passphraseStdin ? await readPassphrase() : undefined;
      const mode: ImportMode = opts.apply ? 'apply' : opts.propose ? 'propose' : opts.historyOnly ? 'history-only' : opts.dryRun ? 'dry-run' : 'verify';
      const dryRun = opts.dryRun === true && mode !== 'dry-run';
      const services = await ctx.services();
      if (mode === 'apply') await services.writeback.recoverBatches();
      // a change request is authored by a confwatch user (CONFWATCH_USER, else the first admin), as `change propose` does
      const actor = mode === 'propose' && !dryRun ? await actorOf(services, {}) : cliActor();
      const action = `import.${mode === 'verify' || mode === 'dry-run' ? 'verify' : mode}`;
      const path = resolve(file);
      const result = await auditedCommand(services.audit, dryRun ? previewAction(action) : action, [['file', path]], (note) =>
        services.archive
          .import(path, { mode: dryRun && (mode === 'apply' || mode === 'propose') ? 'dry-run' : mode, dryRun, actor, ...(passphrase !== undefined ? { passphrase } : {}) })
          .then((r) => {
            if (r.batchId) note(['batch', r.batchId]);
            if (r.changeRequest) note(['change-request', r.changeRequest.id]);
            return r;
          }),
      );
      output(opts).result(result, importText);
    });
}

function importText(r: ImportResult): string {
  const head = `archive format ${r.format.version} from confwatch ${r.format.confwatchVersion}, made ${r.format.createdAt}${r.format.encrypted ? ', encrypted' : ''}: verified`;
  if (r.history) {
    const h = r.history;
    return `${head}\n${r.dryRun ? 'would import' : 'imported'} ${h.versions} versions (${h.alreadyPresent} already here), ${h.changeSets} change sets, ${h.blobs} blobs${h.devicesCreated.length ? `; devices added: ${h.devicesCreated.join(', ')} (no key: set one before watching)` : ''}`;
  }
  const lines = [head];
  if (r.changeRequest) {
    const c = r.changeRequest;
    lines.push(`change request ${c.id} ${c.status} (${c.riskLevel}, ${c.requiredApprovals} approval${c.requiredApprovals === 1 ? '' : 's'} needed): ${c.title}`);
  }
  for (const f of r.files ?? []) {
    lines.push(`${f.device}:${displayPath(f.path)}  ${f.action}${f.reason ? ` (${f.reason})` : ''}${f.refused ? `  refused: ${f.refused}` : ''}`);
    if (f.diff && r.mode === 'dry-run') lines.push(f.diff);
  }
  return lines.join('\n');
}
