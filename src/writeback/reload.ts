/**
 * The reload after a write-back (`--reload`): the profile's reload command,
 * else the config type's usual one. `{file}`, `{dir}` and `{unit}` are
 * replaced by the quoted path, its directory and its unit name.
 */
import type { ConfigType } from '../parsers/parser.js';
import { quote, type RawFragment, sh } from '../transport/quote.js';
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
  const result = await transport.run(sh`${substitute(template, request.path)} 2>&1`, {
    timeoutMs: RELOAD_TIMEOUT_MS,
    ...(request.sudo ? { sudo: true } : {}),
  });
  return { command: template, code: result.code, output: Buffer.concat([result.stdout, result.stderr]).toString('utf8').trim().slice(0, 64 * 1024) };
}

const PLACEHOLDER = /\{(file|dir|unit)\}/g;

/**
 * The reload command with each placeholder replaced by the quoted bytes of
 * the path, its directory or its unit name. Built as bytes: a path that is
 * not ASCII (or not UTF-8 at all) reaches the host exactly as it is named.
 */
function substitute(template: string, path: RemotePath): RawFragment {
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    parts.push(Buffer.from(template.slice(last, m.index), 'utf8'));
    const value = m[1] === 'file' ? path : m[1] === 'dir' ? remoteDirname(path) : remoteBasename(path);
    parts.push(quote(value));
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(template.slice(last), 'utf8'));
  // trusted: the profile's own command, with every path quoted
  return { raw: Buffer.concat(parts) };
}
