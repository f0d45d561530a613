import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfwatchError } from '../../errors.js';
import type { CommandEnv, SetExit } from '../options.js';

export function registerValidateCommand(program: Command, { ctx, output }: CommandEnv, setExit: SetExit): void {
  program
    .command('validate')
    .argument('<path>', 'file path on the device')
    .requiredOption('--device <name>', 'device')
    .option('--content <file>', 'validate this local file as the candidate content (default: the live file)')
    .option('--json', 'machine-readable output')
    .description('check a file with the real tool on the device (nginx -t, docker compose config, systemd-analyze verify, sshd -t)')
    .action(async (path: string, opts: { device: string; content?: string; json?: boolean }) => {
      let content: Buffer | undefined;
      if (opts.content) {
        try {
          content = readFileSync(opts.content);
        } catch (error) {
          throw new ConfwatchError('CW_ERR_INPUT', `cannot read ${opts.content}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
      }
      const { validation } = await ctx.services();
      const result = await validation.validate(opts.device, path, content);
      output(opts).result(result, (r) => `${r.status} (${r.tool}, ${r.durationMs} ms)${r.output ? `\n${r.output}` : ''}`);
      if (result.status === 'invalid') setExit(1, `${path} on ${opts.device} is invalid according to ${result.tool}`);
    });
}
