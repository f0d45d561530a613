/**
 * Validates candidate content in context, on the device, with the real
 * tool, in one round trip over the transport's persistent shell:
 *
 * - nginx: a private temp copy of the config tree with the candidate swapped
 *   in (absolute paths into the tree rewritten to the copy, symlinks too),
 *   then `nginx -t -c <tmp>/nginx.conf -p <tmp>/` — an include file alone is
 *   meaningless to nginx;
 * - compose: `docker compose --project-directory DIR -f <tmp> config -q`
 *   (or `docker-compose` v1), so relative paths and `.env` resolve as live;
 * - systemd: `systemd-analyze verify <tmp>/<unit name>`;
 * - sshd: `sshd -t -f <tmp>`;
 * - a profile command with `{file}`/`{dir}` placeholders replaces the above.
 *
 * The temp directory is removed by a trap whatever happens. A missing tool
 * is `unavailable` (exit 127 from the script), never a silent "valid".
 */
import type { ConfigType } from '../parsers/parser.js';
import type { ValidationResult } from '../store/records.js';
import { raw, type ShellScript, sh } from '../transport/quote.js';
import { isBinaryPath, remoteBasename, remoteDirname, type RemotePath, remotePathToBytes } from '../transport/remote-path.js';
import type { Transport } from '../transport/transport.js';

/** Exit status the scripts use for "the tool is not installed here". */
const TOOL_MISSING = 127;
const TIMEOUT_MS = 60_000;

export interface RemoteValidationRequest {
  readonly type: ConfigType;
  readonly path: RemotePath;
  readonly content: Buffer;
  /** Profile command with {file}/{dir}; replaces the type's default tool. */
  readonly command?: string | null;
  readonly sudo?: boolean;
}

/** Runs the real tool; `null` when the type has no remote validator. */
export async function validateOnDevice(
  transport: Pick<Transport, 'run'>,
  request: RemoteValidationRequest,
): Promise<ValidationResult | null> {
  const plan = planValidation(request);
  if (!plan) return null;
  const started = Date.now();
  const result = await transport.run(plan.script, { stdin: request.content, timeoutMs: TIMEOUT_MS, ...(request.sudo ? { sudo: true } : {}) });
  const output = cleanOutput(Buffer.concat([result.stdout, result.stderr]).toString('utf8'), plan.tempMarker, request.path);
  const status = result.code === 0 ? 'valid' : result.code === TOOL_MISSING ? 'unavailable' : 'invalid';
  return { status, tool: plan.tool, output, durationMs: Date.now() - started };
}

interface ValidationPlan {
  readonly tool: string;
  readonly script: ShellScript;
  /** Text in output paths that stands for the temp copy. */
  readonly tempMarker: string;
}

const TEMP_PREFIX = 'confwatch-validate.';

/** Creates the temp dir, removes it on exit; `$t` names it. */
const prologue = sh`t=$(mktemp -d "\${TMPDIR:-/tmp}/${raw(TEMP_PREFIX)}XXXXXX") || exit 1
trap 'rm -rf "$t"' EXIT HUP INT TERM
`;

const requireTool = (tool: string) => sh`command -v ${tool} >/dev/null 2>&1 || { echo ${`${tool}: not installed on this host`}; exit ${TOOL_MISSING}; }
`;

function planValidation(request: RemoteValidationRequest): ValidationPlan | null {
  const { path, type } = request;
  const dir = remoteDirname(path);
  const name = remoteBasename(path);
  if (request.command) {
    // The profile's command decides; the candidate is at {file} inside {dir} (a temp copy beside nothing live).
    const script = sh`${prologue}cat > "$t"/${name} || exit 1
f="$t"/${name}; d="$t"
${raw(request.command.replaceAll('{file}', '"$f"').replaceAll('{dir}', '"$d"'))} 2>&1
`;
    return { tool: request.command.split(/\s+/)[0] ?? 'command', script, tempMarker: TEMP_PREFIX };
  }
  switch (type) {
    case 'nginx': {
      const root = nginxRoot(path);
      const rel = remotePathToBytes(path).subarray(remotePathToBytes(root).length + 1);
      const script = sh`${requireTool('nginx')}${prologue}r=${root}
cp -a "$r"/. "$t"/ 2>/dev/null || cp -R "$r"/. "$t"/ || exit 1
cat > "$t"/${rel} || exit 1
find "$t" -type l | while IFS= read -r l; do
  case "$(readlink "$l")" in "$r"/*) x=$(readlink "$l"); ln -sfn "$t/\${x#"$r"/}" "$l";; esac
done
find "$t" -type f | while IFS= read -r f; do
  grep -q -F -- "$r/" "$f" 2>/dev/null && awk -v a="$r/" -v b="$t/" '{ while ((i = index($0, a)) > 0) $0 = substr($0, 1, i - 1) b substr($0, i + length(a)); print }' "$f" > "$f.cw" && cat "$f.cw" > "$f" && rm -f "$f.cw"
done
nginx -t -c "$t"/nginx.conf -p "$t"/ 2>&1
`;
      return { tool: 'nginx -t', script, tempMarker: TEMP_PREFIX };
    }
    case 'compose': {
      const script = sh`${prologue}cat > "$t"/${name} || exit 1
if docker compose version >/dev/null 2>&1; then docker compose --project-directory ${dir} -f "$t"/${name} config -q 2>&1
elif command -v docker-compose >/dev/null 2>&1; then docker-compose --project-directory ${dir} -f "$t"/${name} config -q 2>&1
else echo 'docker compose: not installed on this host'; exit ${TOOL_MISSING}; fi
`;
      return { tool: 'docker compose config', script, tempMarker: TEMP_PREFIX };
    }
    case 'systemd': {
      const script = sh`${requireTool('systemd-analyze')}${prologue}cat > "$t"/${name} || exit 1
systemd-analyze verify "$t"/${name} 2>&1
`;
      return { tool: 'systemd-analyze verify', script, tempMarker: TEMP_PREFIX };
    }
    case 'sshd': {
      const script = sh`p=$(command -v sshd || ls /usr/sbin/sshd 2>/dev/null) || { echo 'sshd: not installed on this host'; exit ${TOOL_MISSING}; }
${prologue}cat > "$t"/${name} || exit 1
"$p" -t -f "$t"/${name} 2>&1
`;
      return { tool: 'sshd -t', script, tempMarker: TEMP_PREFIX };
    }
    default:
      return null;
  }
}

/**
 * The directory holding nginx.conf for a file in the tree: the deepest
 * ancestor named `nginx` (`/etc/nginx`, `/config/nginx`), else the file's dir.
 */
export function nginxRoot(path: RemotePath): RemotePath {
  if (isBinaryPath(path)) return remoteDirname(path);
  const parts = path.split('/');
  for (let i = parts.length - 2; i > 0; i--) if (parts[i] === 'nginx') return parts.slice(0, i + 1).join('/');
  return remoteDirname(path);
}

/**
 * Replaces temp-copy paths in the tool output with the real file's directory,
 * and ends lines with LF (OpenSSH logs to stderr with CR LF).
 */
function cleanOutput(output: string, marker: string, path: RemotePath): string {
  const re = new RegExp(`/[^\\s"']*${marker.replace('.', '\\.')}[A-Za-z0-9]{6}`, 'g');
  const root = nginxRoot(path);
  return output.replace(re, root).replace(/\r\n/g, '\n').trim().slice(0, 64 * 1024);
}
