/**
 * How large a command may be where it has to travel as one execve argument.
 * Linux caps a single argument at 128 KiB (MAX_ARG_STRLEN) whatever the
 * total argv limit is: an SSH exec request reaches the login shell as
 * `-c <command line>`, and `sudo -n sh -c <script>` is one argument too.
 * Past that the host answers "Argument list too long", which through sudo
 * looked like sudo itself refusing. Hot paths (`run`) send their scripts
 * through stdin and have no such limit; this check keeps the rest honest.
 */
import { ConfwatchError } from '../errors.js';

/** MAX_ARG_STRLEN less its terminating NUL. */
export const MAX_ARGUMENT_BYTES = 128 * 1024 - 1;

/** What one `run` request may carry (script plus stdin): far above any script confwatch builds, low enough to bound memory. */
export const MAX_RUN_REQUEST_BYTES = 64 * 1024 * 1024;

/** The error for a command that cannot be sent as it is: nothing was run. */
export function commandTooLarge(target: string, bytes: number, limit: number): ConfwatchError {
  return new ConfwatchError(
    'CW_ERR_REMOTE_COMMAND_TOO_LARGE',
    `a command for ${target} is ${bytes} bytes, over the ${limit} bytes it can carry: nothing was run; split the request (fewer paths per operation)`,
    { details: { bytes, limit } },
  );
}

/** Throws commandTooLarge when `bytes` exceeds `limit`. */
export function assertCommandFits(target: string, bytes: number, limit: number): void {
  if (bytes > limit) throw commandTooLarge(target, bytes, limit);
}
