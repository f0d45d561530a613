import type { Command } from 'commander';
import { ConfwatchError } from '../../errors.js';
import type { SnapshotRecord, TrackedFileRecord } from '../../store/records.js';
import { displayPath } from '../../transport/remote-path.js';
import { decodeText } from '../../services/diff.service.js';
import { type CommandEnv, intOption } from '../options.js';

/** `files`, `history` and `show`: reading what the store holds. */
export function registerHistoryCommands(program: Command, { ctx, output }: CommandEnv): void {
  program
    .command('files')
    .description('tracked files with their sync and validation status')
    .option('--device <name>', 'only this device')
    .option('--json', 'machine-readable output')
    .action(async (opts: { device?: string; json?: boolean }) => {
      const { store, devices } = await ctx.services();
      if (opts.device) await devices.get(opts.device);
      const files = await store.listTrackedFiles(opts.device);
      output(opts).result(files, (list) => (list.length ? table(list) : 'no tracked files yet; run `confwatch scan DEVICE`'));
    });

  program
    .command('history')
    .argument('<path>', 'file path on the device (b64:… for names that are not UTF-8)')
    .requiredOption('--device <name>', 'device')
    .option('--limit <n>', 'versions per page (default 50)', intOption('--limit'))
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--json', 'machine-readable output')
    .description('versions of a file, newest first')
    .action(async (path: string, opts: { device: string; limit?: number; cursor?: string; json?: boolean }) => {
      const { store, devices } = await ctx.services();
      await devices.get(opts.device);
      const page = await store.history(opts.device, path, { limit: opts.limit ?? 50, cursor: opts.cursor ?? null });
      if (page.items.length === 0 && !opts.cursor && !(await store.getTrackedFile(opts.device, path))) {
        throw new ConfwatchError('CW_ERR_NOT_FOUND', `"${path}" is not tracked on ${opts.device}; see \`confwatch files --device ${opts.device}\``);
      }
      const out = output(opts);
      if (page.nextCursor) out.note(`more: --cursor ${page.nextCursor}`);
      out.result(page.items.map(summary), (items) =>
        items.map((s) => `${s.id}  ${s.detectedAt}  ${s.changeType.padEnd(8)}  ${s.source.padEnd(8)}  ${s.contentHash?.slice(0, 12) ?? '-'.padEnd(12)}  ${s.size ?? '-'} B`).join('\n'),
      );
    });

  program
    .command('show')
    .argument('<snapshot>', 'snapshot id')
    .option('--raw', 'write the exact bytes of the version to stdout')
    .option('--json', 'machine-readable output')
    .description('one version: metadata and content')
    .action(async (id: string, opts: { raw?: boolean; json?: boolean }) => {
      const { store } = await ctx.services();
      const snapshot = await store.getSnapshot(id);
      if (!snapshot) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown snapshot "${id}"; see \`confwatch history\``);
      const content = snapshot.hasContent && snapshot.contentHash ? await store.readContent(snapshot) : null;
      if (opts.raw) {
        if (!content) throw new ConfwatchError('CW_ERR_NOT_FOUND', `snapshot ${id} has no stored content (${snapshot.changeType === 'deleted' ? 'deleted file' : 'hash only'})`);
        await new Promise<void>((resolve, reject) => process.stdout.write(content, (e) => (e ? reject(e) : resolve())));
        return;
      }
      const text = content ? (decodeText(content) ?? null) : null;
      output(opts).result(
        {
          ...snapshot,
          content: text ?? (content ? content.toString('base64') : null),
          contentEncoding: content ? (text !== null ? 'utf8' : 'base64') : null,
        },
        (s) =>
          [
            `snapshot ${s.id}  ${s.device}:${displayPath(s.path)}`,
            `${s.changeType} via ${s.source} at ${s.detectedAt}${s.actor ? ` by ${s.actor}` : ''}`,
            `sha256 ${s.contentHash ?? '-'}  ${s.size ?? '-'} bytes  mode ${s.mode?.toString(8) ?? '-'}  uid ${s.uid ?? '-'} gid ${s.gid ?? '-'}`,
            '',
            content === null ? '(no content stored)' : text === null ? `(binary content, ${content.length} bytes; use --raw)` : text,
          ].join('\n'),
      );
    });

  program
    .command('diff')
    .argument('<snapshot>', 'snapshot id')
    .argument('[snapshot2]', 'second snapshot (default: the version before <snapshot>)')
    .option('--json', 'machine-readable output (unified text and side-by-side rows)')
    .description('unified diff between two versions, or a version and the one before it')
    .action(async (first: string, second: string | undefined, opts: { json?: boolean }) => {
      const { store, diffs } = await ctx.services();
      let fromId = first;
      let toId = second;
      if (!toId) {
        const snapshot = await store.getSnapshot(first);
        if (!snapshot) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown snapshot "${first}"; see \`confwatch history\``);
        if (!snapshot.previousId) {
          throw new ConfwatchError('CW_ERR_USAGE', `snapshot ${first} is the first version of ${displayPath(snapshot.path)}; give a second snapshot to compare with`);
        }
        fromId = snapshot.previousId;
        toId = first;
      }
      const diff = await diffs.diff(fromId, toId as string);
      output(opts).result(diff, (d) => d.message ?? (d.unified || 'no differences'));
    });
}

/** The fields `history --json` promises (SPEC §6) and a few more. */
export const summary = (s: SnapshotRecord) => ({
  id: s.id,
  path: s.path,
  contentHash: s.contentHash,
  changeType: s.changeType,
  source: s.source,
  detectedAt: s.detectedAt,
  storedAt: s.storedAt,
  size: s.size,
  mode: s.mode,
  actor: s.actor,
  changeSetId: s.changeSetId,
  changeRequestId: s.changeRequestId ?? null,
  previousId: s.previousId,
});

function table(files: TrackedFileRecord[]): string {
  return files
    .map((f) => `${f.device}  ${f.syncStatus.padEnd(10)} ${f.validationStatus.padEnd(11)} ${f.configType.padEnd(8)} ${displayPath(f.path)}${f.deleted ? '  (deleted)' : ''}${f.lastError ? `  ! ${f.lastError}` : ''}`)
    .join('\n');
}
