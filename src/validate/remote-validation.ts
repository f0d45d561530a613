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
import type { PathMapping } from '../transport/path-mapping.js';
import { raw, type ShellScript, sh } from '../transport/quote.js';
import { type RemotePath, remoteBasename, remoteDirname } from '../transport/remote-path.js';
import type { Transport } from '../transport/transport.js';
import { nginxRoot, nginxValidationScript, OUT_OF_CONTEXT, TEMP_PREFIX, TOOL_MISSING } from './nginx-validation.js';

const TIMEOUT_MS = 60_000;

export interface RemoteValidationRequest {
  readonly type: ConfigType;
  readonly path: RemotePath;
  readonly content: Buffer;
  /** Profile command with {file}/{dir}; replaces the type's default tool. */
  readonly command?: string | null;
  readonly sudo?: boolean;
  /** Container path mappings of the device and the file's profile (nginx includes through `/config`). */
  readonly mappings?: readonly PathMapping[];
  /** A container known to mount the file's tree (from the compose file); else found with `docker ps`. */
  readonly container?: string | null;
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
  const status = result.code === 0 ? 'valid' : result.code === TOOL_MISSING || result.code === OUT_OF_CONTEXT ? 'unavailable' : 'invalid';
  return { status, tool: plan.tool, output, durationMs: Date.now() - started };
}

interface ValidationPlan {
  readonly tool: string;
  readonly script: ShellScript;
  /** Text in output paths that stands for the temp copy. */
  readonly tempMarker: string;
}


/** Creates a private temp dir (`mktemp -d`: random name, mode 0700), removes it on exit; `$t` names it. */
export const prologue = sh`t=$(mktemp -d "\${TMPDIR:-/tmp}/${raw(TEMP_PREFIX)}XXXXXX") || exit 1
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
    case 'nginx':
      return { tool: 'nginx -t', script: nginxValidationScript({ path, mappings: request.mappings ?? [] }, request.container ?? null), tempMarker: TEMP_PREFIX };
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
 * Replaces temp-copy paths in the tool output with the real file's directory,
 * and ends lines with LF (OpenSSH logs to stderr with CR LF).
 */
function cleanOutput(output: string, marker: string, path: RemotePath): string {
  const temp = `/[^\\s"']*${marker.replace('.', '\\.')}[A-Za-z0-9]{6}`;
  const root = nginxRoot(path);
  return output
    .replace(new RegExp(`${temp}/x(?=/)`, 'g'), '')
    .replace(new RegExp(`${temp}/run/`, 'g'), '(validation copy)/')
    .replace(new RegExp(`${temp}(/c)?`, 'g'), root)
    .replace(/\r\n/g, '\n')
    .trim()
    .slice(0, 64 * 1024);
}
