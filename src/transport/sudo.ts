/**
 * Telling a refusal by `sudo -n` itself (no NOPASSWD entry; it wants a
 * password or a tty) from the exit status of the command it runs, so the
 * caller gets one clear error instead of a puzzling failed command. The
 * persistent shell uses a marker file (framed-shell.ts); one-off commands
 * ask sudo first with the same `sudo -n sh -c` they then exec, and report a
 * refusal as exit 125 with a tagged stderr.
 */
import { ConfwatchError } from '../errors.js';
import type { ExecResult } from './transport.js';

const REFUSED_EXIT = 125;
const REFUSED_TAG = 'confwatch-sudo-refused: ';

/** Shell code (no single quotes) that exits REFUSED_EXIT with sudo's reason, tagged, on stderr when `sudo -n` refuses. */
export const SUDO_PRECHECK = `r=$(sudo -n sh -c : 2>&1 </dev/null) || { printf "${REFUSED_TAG}%s\\n" "$r" >&2; exit ${REFUSED_EXIT}; }`;

/** sudo's reason when a one-off command behind SUDO_PRECHECK was refused, else null. */
export function sudoRefusalOf(result: ExecResult): string | null {
  if (result.code !== REFUSED_EXIT) return null;
  const stderr = result.stderr.toString('utf8');
  return stderr.startsWith(REFUSED_TAG) ? stderr.slice(REFUSED_TAG.length) : null;
}

/**
 * sudo's reason when a stderr line of a streamed command is the tagged
 * refusal, else null. A stream reports stderr line by line while it runs,
 * so its refusal is the line plus exit REFUSED_EXIT (sudoRefusedExit).
 */
export function sudoRefusalInLine(line: string): string | null {
  return line.startsWith(REFUSED_TAG) ? line.slice(REFUSED_TAG.length) : null;
}

/** True for the exit status of a streamed command that sudo refused (with a sudoRefusalInLine line). */
export const sudoRefusedExit = (code: number | null): boolean => code === REFUSED_EXIT;

/** True for the error sudoRefused builds. */
export const isSudoRefusal = (error: unknown): error is ConfwatchError =>
  error instanceof ConfwatchError && error.details?.sudo === true;

export const sudoRefused = (target: string, sudoStderr: string): ConfwatchError => {
  const reason = sudoStderr.trim().split('\n')[0]?.slice(0, 200) || 'no reason given';
  return new ConfwatchError(
    'CW_ERR_REMOTE_COMMAND',
    `sudo -n was refused for ${target} (${reason}): give the user a NOPASSWD sudoers entry, or remove --sudo from the device`,
    { details: { sudo: true } },
  );
};
