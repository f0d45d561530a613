/**
 * The `confwatch` command line (SPEC §6). Names, flags, exit codes and JSON
 * fields are a contract: add freely, never change. Every command takes
 * `--json`; errors print one line on stderr and exit 1 (failed operation) or
 * 2 (bad usage, unknown names).
 */
import { Command, CommanderError, type ErrorOptions, type HelpContext } from 'commander';
import { ExitCode, isConfwatchError } from '../errors.js';
import { CliContext, createOutput } from './context.js';
import { registerCommands } from './commands/index.js';
import type { CommandEnv, SetExit } from './options.js';

/**
 * Commander, with usage errors reduced to the one stderr line the contract
 * promises (scripts read stderr too), and a group command called without a
 * subcommand treated as bad usage rather than a request for help.
 */
class CliCommand extends Command {
  override createCommand(name?: string): CliCommand {
    return new CliCommand(name);
  }

  override error(message: string, errorOptions?: ErrorOptions): never {
    return super.error(`confwatch: ${oneLine(message.replace(/^error:\s*/, ''), ' ')} (see \`${this.path()} --help\`)`, errorOptions);
  }

  override help(context?: HelpContext): never;
  /** @deprecated commander's old callback form, kept for the override to type-check. */
  override help(cb: (str: string) => string): never;
  override help(context?: HelpContext | ((str: string) => string)): never {
    if (typeof context === 'object' && context.error) {
      const names = this.commands.map((c) => c.name()).filter((n) => n !== 'help');
      return this.error(`missing command: one of ${names.join(', ')}`, { code: 'commander.missingCommand', exitCode: ExitCode.usage });
    }
    return typeof context === 'function' ? super.help(context) : super.help(context);
  }

  /** The words a user types to reach this command, e.g. `confwatch drift resolve`. */
  path(): string {
    const names: string[] = [];
    for (let cmd: Command | null = this; cmd; cmd = cmd.parent) names.unshift(cmd.name());
    return names.join(' ');
  }
}

/** The whole command tree, without running anything (tests walk it). */
export function createProgram(env: CommandEnv, setExit: SetExit): Command {
  const program = new CliCommand('confwatch')
    .description('Agentless, real-time configuration monitor for Linux hosts over SSH')
    .version(process.env.npm_package_version ?? '0.1.0')
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCommands(program, env, setExit);
  // Subcommands inherit the override so their usage errors also exit 2.
  const inherit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.exitOverride();
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const ctx = new CliContext();
  let exitCode: number = ExitCode.ok;
  const env: CommandEnv = { ctx, output: (options) => createOutput(options.json === true) };
  const program = createProgram(env, (code, message) => {
    exitCode = code;
    if (message) process.stderr.write(`confwatch: ${oneLine(message)}\n`);
  });

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
    // --help, --version and `help`: exit 0; everything else commander raises is bad usage (message already printed).
    const informational = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
    return informational && error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (isConfwatchError(error)) {
    process.stderr.write(`confwatch: ${oneLine(error.message)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`confwatch: unexpected error: ${oneLine(message)}\n`);
  if (process.env.CONFWATCH_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return ExitCode.failed;
}

/** Joins a message that carries tool output (several lines) into the one line stderr gets. */
export function oneLine(message: string, separator = ' | '): string {
  return message
    .split(/\r?\n|\r/)
    .map((line) => line.trim())
    .filter(Boolean)
    .join(separator);
}
