import type { Command } from 'commander';
import type { CommandEnv } from '../options.js';
import { initHome } from '../../services/init.service.js';

export function registerInitCommand(program: Command, { ctx, output }: CommandEnv): void {
  program
    .command('init')
    .description('create the confwatch home, database and master key (idempotent; never overwrites a key)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const out = output(opts);
      const result = await initHome(ctx.environment);
      out.result(result, (r) =>
        [
          `home:       ${r.home}${r.created ? ' (created)' : ''}`,
          `database:   ${r.database}`,
          `master key: ${r.masterKey}`,
          ...(r.adminToken ? ['', 'admin API token (shown once, store it now):', `  ${r.adminToken}`] : []),
        ].join('\n'),
      );
    });
}
