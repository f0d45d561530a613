/**
 * The reload after a write-back (`--reload`): the profile's reload command,
 * else the config type's usual one. `{file}`, `{dir}` and `{unit}` are
 * replaced by the quoted path, its directory and its unit name.
 */
import type { ConfigType } from '../parsers/parser.js';
import { quote, raw, sh } from '../transport/quote.js';
import { remoteBasename, remoteDirname, type RemotePath } from '../transport/remote-path.js';
import type { Transport } from '../transport/transport.js';

const RELOAD_TIMEOUT_MS = 120_000;

export interface ReloadResult {
  readonly command: string;
  /** Exit status (null: killed); 0 means the reload succeeded. */
  readonly code: number | null;
  readonly output: string;
}

/** The usual reload of a config type; null when there is none (generic files). */
export function defaultReloadCommand(type: ConfigType): string | null {
  switch (type) {
    case 'nginx':
      return 'nginx -s reload';
    case 'compose':
      return 'docker compose --project-directory {dir} -f {file} up -d';
    case 'systemd':
      return 'systemctl daemon-reload && systemctl restart {unit}';
    case 'sshd':
      return 'sshd -t && { systemctl reload ssh 2>/dev/null || systemctl reload sshd; }';
    default:
      return null;
  }
}

/** Runs the reload command for a file; null when there is nothing to run. */
export async function runReload(
  transport: Pick<Transport, 'run'>,
  request: { type: ConfigType; path: RemotePath; command: string | null; sudo: boolean },
): Promise<ReloadResult | null> {
  const template = request.command ?? defaultReloadCommand(request.type);
  if (!template) return null;
  const code = template
    .replaceAll('{file}', quote(request.path).toString('latin1'))
    .replaceAll('{dir}', quote(remoteDirname(request.path)).toString('latin1'))
    .replaceAll('{unit}', quote(remoteBasename(request.path)).toString('latin1'));
  const result = await transport.run(sh`${raw(code)} 2>&1`, { timeoutMs: RELOAD_TIMEOUT_MS, ...(request.sudo ? { sudo: true } : {}) });
  return { command: template, code: result.code, output: Buffer.concat([result.stdout, result.stderr]).toString('utf8').trim().slice(0, 64 * 1024) };
}
