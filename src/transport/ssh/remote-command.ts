/**
 * The command line sent in an SSH exec request. sshd hands it to the remote
 * user's login shell (bash, zsh, even fish) and ssh2 sends it as UTF-8
 * text, so the script travels base64-encoded inside a line any shell parses
 * the same way, and is decoded and run by `sh`.
 */
import { type ShellScript, sh } from '../quote.js';
import { SUDO_PRECHECK } from '../sudo.js';

/** Runs the script under `sh`, through `sudo -n` when asked (a refusal reported as sudo.ts says). */
export function execCommandLine(script: ShellScript, sudo: boolean): string {
  const b64 = script.bytes.toString('base64');
  const run = sudo ? `${SUDO_PRECHECK}; exec sudo -n sh -c "$s"` : 'eval "$s"';
  return `sh -c 's=$(echo ${b64} | base64 -d) || exit 126; ${run}'`;
}

/**
 * Wraps a long-running script so that it dies with its channel (SPEC §3
 * "Remote processes"): it runs in the background with stdin from
 * /dev/null, a watcher waits for our stdin to close (stop() or a clean
 * disconnect) and then kills the job and its direct children. When the job
 * ends on its own, the wrapper exits with its status.
 *
 * The children are read from Linux's /proc/<pid>/task/<pid>/children, one
 * file, where there is one; pkill -P reads every process of the host, which
 * adds up when many wrappers stop at once. Elsewhere pkill -P it is.
 */
export function stoppableScript(script: ShellScript): ShellScript {
  // background jobs of a non-interactive shell get /dev/null as stdin, so
  // the watcher reads the channel's stdin through fd 3
  return sh`exec 3<&0
( ${script}
) </dev/null 3<&- &
p=$!
( cat <&3 >/dev/null
  f=/proc/$p/task/$p/children
  if [ -r "$f" ]; then read -r k <"$f"; [ -z "$k" ] || kill -TERM $k; else pkill -TERM -P "$p"; fi
  kill -TERM "$p" ) >/dev/null 2>&1 &
w=$!
exec 3<&-
wait "$p"
c=$?
kill "$w" 2>/dev/null
exit "$c"`;
}
