/**
 * The exact commands that apply (or check) a change on the host, per
 * config type. Paths and names are shell-quoted when they need it.
 */
import type { ConfigType } from '../parsers/parser.js';
import { quote } from '../transport/quote.js';
import type { Change } from './change.js';

/** Quotes a word only when a POSIX shell would otherwise interpret part of it. */
export const shellWord = (word: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : quote(word).toString('utf8'));

export interface ActionInputs {
  readonly type: ConfigType;
  readonly path: string;
  readonly changes: readonly Change[];
  readonly requiresRestart: boolean;
  readonly requiresReload: boolean;
  /** The device profile's reload command, replacing the type's default reload (e.g. `docker exec swag nginx -s reload`). */
  readonly reloadCommand?: string | null;
}

/** Commands in the order to run them; empty when nothing needs doing. */
export function recommendedActions(inputs: ActionInputs): string[] {
  const { type, path, changes } = inputs;
  if (changes.some((c) => c.kind === 'parse.failed' || c.kind === 'parse.still_failed')) return CHECK[type] ? [CHECK[type](path)] : [];
  if (!inputs.requiresRestart && !inputs.requiresReload) return [];
  const reload = inputs.reloadCommand ? [inputs.reloadCommand] : undefined;
  switch (type) {
    case 'compose':
      return composeActions(path, changes);
    case 'nginx':
      return [CHECK.nginx!(path), ...(reload ?? ['nginx -s reload'])];
    case 'systemd':
      return [systemdAction(path, changes)];
    case 'sshd':
      return [CHECK.sshd!(path), ...(reload ?? ['systemctl reload ssh'])];
    case 'env':
      return envActions(changes);
    default:
      return reload ?? [];
  }
}

/** The tool's own check of a config, to run before applying (or to see why it fails). */
const CHECK: Partial<Record<ConfigType, (path: string) => string>> = {
  compose: (path) => `docker compose -f ${shellWord(path)} config --quiet`,
  nginx: () => 'nginx -t',
  systemd: (path) => `systemd-analyze verify ${shellWord(path)}`,
  sshd: () => 'sshd -t',
};

function composeActions(path: string, changes: readonly Change[]): string[] {
  const file = shellWord(path);
  if (changes.some((c) => c.kind === 'file.deleted')) return [];
  const removed = changes.some((c) => c.kind === 'service.removed');
  const services = [...new Set(changes.filter((c) => c.kind !== 'service.removed' && c.service).map((c) => c.service!))];
  const whole = removed || services.length === 0;
  return [`docker compose -f ${file} up -d${removed ? ' --remove-orphans' : ''}${whole ? '' : ` ${services.map(shellWord).join(' ')}`}`];
}

/** A `.env` change recreates the compose services that use it, through the compose file that reads it. */
function envActions(changes: readonly Change[]): string[] {
  const composeFile = changes.find((c) => typeof c.detail.composeFile === 'string')?.detail.composeFile as string | undefined;
  const services = [...new Set(changes.flatMap((c) => (c.service ? [c.service] : [])))];
  if (composeFile === undefined || services.length === 0) return [];
  return [`docker compose -f ${shellWord(composeFile)} up -d ${services.map(shellWord).join(' ')}`];
}

function systemdAction(path: string, changes: readonly Change[]): string {
  if (changes.some((c) => c.kind === 'file.deleted')) return 'systemctl daemon-reload';
  const unit = path.match(/\/([^/]+)\.d\/[^/]+$/)?.[1] ?? path.slice(path.lastIndexOf('/') + 1);
  return `systemctl daemon-reload && systemctl restart ${shellWord(unit)}`;
}
