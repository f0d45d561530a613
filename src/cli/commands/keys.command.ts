import type { Command } from 'commander';
import { rotateMasterKey } from '../../store/key-rotation.js';
import { auditedCommand } from '../cli-audit.js';
import type { CommandEnv } from '../options.js';

export function registerKeyCommands(program: Command, { ctx, output }: CommandEnv): void {
  const keys = program.command('keys').description('master key management');
  keys
    .command('rotate')
    .description('re-encrypt every stored version and secret under a new master key (reads keep working throughout)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const out = output(opts);
      const { store, environment, audit } = await ctx.services();
      let lastShown = 0;
      const result = await auditedCommand(audit, 'keys.rotate', [['key', store.keyRing.current.id]], async (note) => {
        const rotated = await rotateMasterKey(environment.home, store, (done, total) => {
          if (out.json || (done - lastShown < 500 && done !== total)) return;
          lastShown = done;
          out.note(`re-encrypted ${done}/${total}`);
        });
        note(['new', rotated.keyId]);
        return rotated;
      });
      out.result(result, (r) => `rotated master key: ${JSON.stringify(r)}`);
    });
}
