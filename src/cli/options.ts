/**
 * What every command file shares: the environment a command runs in, the
 * non-exception exit, and option parsers. Commands import this, never
 * main.ts, so the program and its commands do not import each other.
 */
import { ConfwatchError } from '../errors.js';
import type { CliContext, Output } from './context.js';

export interface CommandEnv {
  readonly ctx: CliContext;
  /** Output for the running command (its --json flag decides the mode). */
  output(options: { json?: boolean }): Output;
}

/**
 * Records a non-zero outcome that is not an exception (a file that does not
 * parse, an invalid candidate, an unreachable host). The result has already
 * been printed; `message` becomes the one stderr line the contract promises.
 */
export type SetExit = (code: number, message?: string) => void;

/** Parses an integer option or fails with a usage error naming the flag. */
export function intOption(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new ConfwatchError('CW_ERR_USAGE', `${flag} must be a whole number, got "${value}"`);
    return Number(value);
  };
}

/** A size in bytes: a whole number, or one with a binary suffix (`500M`, `2G`, `1T`; `K`, `KiB` and `kB` alike). */
export function bytesOption(flag: string) {
  return (value: string): number => {
    const m = /^(\d+)\s*(?:([kmgt])(?:i?b)?)?$/i.exec(value.trim());
    if (!m) throw new ConfwatchError('CW_ERR_USAGE', `${flag} must be a number of bytes (e.g. 2147483648 or 2G), got "${value}"`);
    const power = m[2] ? 'kmgt'.indexOf(m[2].toLowerCase()) + 1 : 0;
    return Number(m[1]) * 1024 ** power;
  };
}

/** Collects a repeatable option into an array. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
