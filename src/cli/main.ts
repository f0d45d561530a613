/**
 * The `confwatch` command line (SPEC §6). Names, flags, exit codes and JSON
 * fields are a contract: add freely, never change. Every command takes
 * `--json`; errors print one line on stderr and exit 1 (failed operation) or
 * 2 (bad usage, unknown names).
 */
import { Command, CommanderError } from 'commander';
import { ConfwatchError, ExitCode, isConfwatchError } from '../errors.js';
import { CliContext, createOutput, type Output } from './context.js';
import { registerCommands } from './commands/index.js';

export interface CommandEnv {
  readonly ctx: CliContext;
  /** Output for the running command (its --json flag decides the mode). */
  output(options: { json?: boolean }): Output;
}

export async function main(argv: string[]): Promise<number> {
  const ctx = new CliContext();
  const program = new Command('confwatch')
    .description('Agentless, real-time configuration monitor for Linux hosts over SSH')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  let exitCode: number = ExitCode.ok;
  const env: CommandEnv = { ctx, output: (options) => createOutput(options.json === true) };
  registerCommands(program, env, (code) => {
    exitCode = code;
  });
  // Subcommands inherit the overrides so their usage errors also exit 2.
  const inherit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride().showHelpAfterError('(run with --help for usage)');
      inherit(sub);
    }
  };
  inherit(program);

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    return reportError(error);
  } finally {
    await ctx.close();
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
    return ExitCode.usage; // commander already printed the message
  }
  if (isConfwatchError(error)) {
    process.stderr.write(`confwatch: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`confwatch: unexpected error: ${message}\n`);
  if (process.env.CONFWATCH_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return ExitCode.failed;
}

/** Parses an integer option or fails with a usage error naming the flag. */
export function intOption(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new ConfwatchError('CW_ERR_USAGE', `${flag} must be a whole number, got "${value}"`);
    return Number(value);
  };
}

/** Collects a repeatable option into an array. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
