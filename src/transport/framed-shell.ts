/**
 * Wire format of the persistent remote shell (SPEC §3 "Remote execution
 * cost"): one `sh -s` per connection reads requests as shell code from its
 * stdin and answers each with a length-prefixed frame. Pure: no I/O.
 *
 * A request is one shell command, `__cw_run ID 'SCRIPT' 'STDIN_BASE64' SUDO`,
 * whose arguments are quoted by quote.ts, so any byte except NUL passes
 * (stdin may hold NUL and is base64-encoded). Every request's stdin is
 * redirected, so only the shell itself ever reads the control stream.
 * The script runs in a subshell (`cd`/`exit` do not leak), its output goes
 * to temp files, and the answer is
 *
 *   CW <id> <exit code> <stdout bytes> <stderr bytes> <sudo refused>\n<stdout><stderr>
 *
 * A sudo request has the root shell create a marker file before the script
 * runs: without it sudo itself refused (no NOPASSWD entry, a password or tty
 * wanted), which a script's own exit status and stderr cannot tell apart.
 * The script reaches `sudo -n sh` on its stdin, never as an argument: Linux
 * caps one argument at 128 KiB, and a drift check of a few hundred paths is
 * larger than that. The root shell reads the whole script, then takes the
 * request's own stdin from the private directory (`mktemp -d`, 0700, owned
 * by the login user) the driver keeps its temp files in.
 *
 * Frames are bounded (`maxFrameBytes`): a header announcing more is treated
 * as a broken shell, never buffered.
 *
 * The shell announces itself with `CWREADY <token>\n` after its prelude, so
 * anything a login shell prints first is skipped.
 */
import { ConfwatchError } from '../errors.js';
import { quote, type ShellScript } from './quote.js';

/** Largest answer (stdout plus stderr) accepted by default: a fetch batch is capped at 32 MiB of listed bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;

/** What a login shell may print before the ready line; only the tail is kept while looking for it. */
const MAX_PREAMBLE_BYTES = 64 * 1024;

/** The shell code sent once when the persistent shell starts. */
export function driverPrelude(readyToken: string): Buffer {
  return Buffer.from(`set +e
__cw_d=$(mktemp -d) || exit 1
trap 'rm -rf "$__cw_d"' EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM
__cw_run() {
  if [ -n "$3" ]; then printf '%s' "$3" | base64 -d > "$__cw_d/i"; else : > "$__cw_d/i"; fi
  __cw_r=0
  if [ "$4" = 1 ]; then
    rm -f "$__cw_d/s"
    printf '%s' "$2" > "$__cw_d/p"
    sudo -n sh -c ': > "$1" || exit 1; __cw_s=$(cat) || exit 1; exec < "$2" || exit 1; set --; eval "$__cw_s"' sh "$__cw_d/s" "$__cw_d/i" < "$__cw_d/p" > "$__cw_d/o" 2> "$__cw_d/e"
    __cw_c=$?
    [ -e "$__cw_d/s" ] || __cw_r=1
    rm -f "$__cw_d/p"
  else
    (eval "$2") < "$__cw_d/i" > "$__cw_d/o" 2> "$__cw_d/e"
    __cw_c=$?
  fi
  printf 'CW %s %s %s %s %s\\n' "$1" "$__cw_c" $(wc -c < "$__cw_d/o") $(wc -c < "$__cw_d/e") "$__cw_r"
  cat "$__cw_d/o" "$__cw_d/e"
}
printf 'CWREADY %s\\n' '${readyToken}'
`);
}

/** One request as the shell code the persistent shell executes. */
export function encodeRequest(id: number, script: ShellScript, stdin: Buffer | null, sudo: boolean): Buffer {
  const input = stdin?.length ? Buffer.from(stdin.toString('base64')) : Buffer.alloc(0);
  return Buffer.concat([
    Buffer.from(`__cw_run ${id} `),
    quote(script.bytes),
    Buffer.from(' '),
    quote(input),
    Buffer.from(sudo ? ' 1\n' : ' 0\n'),
  ]);
}

export interface FramedResponse {
  readonly id: number;
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** sudo -n refused to run the script at all (stderr holds sudo's reason). */
  readonly sudoRefused: boolean;
}

interface Header {
  readonly id: number;
  readonly code: number;
  readonly outLen: number;
  readonly errLen: number;
  readonly sudoRefused: boolean;
}

/** Reassembles responses from the shell's stdout, whatever the chunking. */
export class ResponseParser {
  readonly #readyLine: Buffer;
  #ready = false;
  #buffer: Buffer = Buffer.alloc(0);
  #header: Header | null = null;

  readonly #maxFrameBytes: number;

  constructor(readyToken: string, options: { maxFrameBytes?: number } = {}) {
    this.#readyLine = Buffer.from(`CWREADY ${readyToken}\n`);
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** True once the prelude has run and requests can be answered. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Feeds stdout bytes; returns the responses they completed. Throws on a malformed frame. */
  push(chunk: Buffer): FramedResponse[] {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    if (!this.#ready && !this.#skipToReady()) return [];
    const out: FramedResponse[] = [];
    for (;;) {
      if (!this.#header) {
        const nl = this.#buffer.indexOf(0x0a);
        if (nl === -1) {
          if (this.#buffer.length > 200) throw malformed(this.#buffer.subarray(0, 80).toString('latin1'));
          break;
        }
        const header = parseHeader(this.#buffer.subarray(0, nl).toString('latin1'));
        if (header.outLen + header.errLen > this.#maxFrameBytes) {
          throw new ConfwatchError(
            'CW_ERR_REMOTE_OUTPUT_TOO_LARGE',
            `a remote command answered with ${header.outLen + header.errLen} bytes, over the ${this.#maxFrameBytes} accepted: its output was dropped`,
          );
        }
        this.#header = header;
        this.#buffer = this.#buffer.subarray(nl + 1);
      }
      const { outLen, errLen } = this.#header;
      if (this.#buffer.length < outLen + errLen) break;
      out.push({
        id: this.#header.id,
        code: this.#header.code,
        stdout: Buffer.from(this.#buffer.subarray(0, outLen)),
        stderr: Buffer.from(this.#buffer.subarray(outLen, outLen + errLen)),
        sudoRefused: this.#header.sudoRefused,
      });
      this.#buffer = this.#buffer.subarray(outLen + errLen);
      this.#header = null;
    }
    return out;
  }

  #skipToReady(): boolean {
    const at = this.#buffer.indexOf(this.#readyLine);
    if (at === -1) {
      if (this.#buffer.length > MAX_PREAMBLE_BYTES) this.#buffer = this.#buffer.subarray(-this.#readyLine.length);
      return false;
    }
    this.#buffer = this.#buffer.subarray(at + this.#readyLine.length);
    this.#ready = true;
    return true;
  }
}

function parseHeader(line: string): Header {
  const m = /^CW (\d+) (\d+) (\d+) (\d+) ([01])$/.exec(line);
  if (!m) throw malformed(line);
  return { id: Number(m[1]), code: Number(m[2]), outLen: Number(m[3]), errLen: Number(m[4]), sudoRefused: m[5] === '1' };
}

const malformed = (line: string) => new Error(`malformed response header from the remote shell: ${JSON.stringify(line.slice(0, 80))}`);
