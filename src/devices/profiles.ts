/**
 * Watch definitions: the built-in profiles of SPEC §4 and the custom profile
 * made from `--watch`/`--exclude`/`--type`. A device's profiles are stored as
 * rows (store/records.ts ProfileRecord) when the device is added, so editing
 * a built-in here never silently changes what an existing device watches.
 */
import type { ConfigType } from '../parsers/parser.js';
import type { ProfileRecord } from '../store/records.js';
import { isAbsoluteClean } from '../transport/path-mapping.js';

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/** Editor swap/backup files and VCS internals: never tracked as config. */
export const DEFAULT_EXCLUDES: readonly string[] = [
  '**/*.swp',
  '**/*.swx',
  '**/*~',
  '**/.#*',
  '**/4913',
  '**/.git/**',
];

type ProfileTemplate = Omit<ProfileRecord, 'device'>;

const template = (
  name: string,
  configType: ConfigType | null,
  paths: string[],
  pollIntervalSec: number,
  extra: Partial<ProfileTemplate> = {},
): ProfileTemplate => ({
  name,
  configType,
  paths,
  exclude: [],
  pollIntervalSec,
  maxFileBytes: DEFAULT_MAX_FILE_BYTES,
  validateCommand: null,
  reloadCommand: null,
  validateOnCapture: false,
  autoReconcile: 'off',
  pathMappings: [],
  requireValidation: false,
  ...extra,
});

/** Roots under which the compose profile looks, unless the user gives others. */
export const DEFAULT_COMPOSE_ROOTS: readonly string[] = ['/opt/stacks', '/srv'];

/** The container path of linuxserver's SWAG image that holds its whole config. */
export const SWAG_CONTAINER_ROOT = '/config';

/** What a proxy conf includes from SWAG's `nginx/` directory, beside the proxy confs themselves. */
const SWAG_SNIPPETS: readonly string[] = ['nginx.conf', 'ssl.conf', 'proxy.conf', 'resolver.conf', 'worker_processes.conf', '*-location.conf', '*-server.conf'];

/**
 * Built-in profiles. Poll intervals follow the original plan: proxy confs
 * every 300 s, compose and systemd every 600 s, sshd every 900 s. Each
 * honours the roots given as `name:/root1,/root2`; without them it watches
 * the usual places.
 */
export function builtinProfile(name: string, roots: readonly string[] = []): ProfileTemplate | undefined {
  const under = (defaults: readonly string[], globs: (base: string) => string[]) =>
    (roots.length > 0 ? roots : defaults).map(trimSlash).flatMap((b) => globs(b === '/' ? '' : b));
  switch (name) {
    case 'swag': {
      const bases = (roots.length > 0 ? roots : [SWAG_CONTAINER_ROOT]).map(trimSlash);
      return template(
        'swag',
        'nginx',
        under([SWAG_CONTAINER_ROOT], (b) => [`${b}/nginx/proxy-confs/*.conf`, `${b}/nginx/site-confs/*`, ...SWAG_SNIPPETS.map((s) => `${b}/nginx/${s}`)]),
        300,
        {
          reloadCommand: 'docker exec swag nginx -s reload',
          // the container sees its config at /config, whatever the host directory is
          pathMappings: bases.filter((b) => b !== SWAG_CONTAINER_ROOT).map((host) => ({ container: SWAG_CONTAINER_ROOT, host })),
        },
      );
    }
    case 'nginx':
      return template('nginx', 'nginx', under(['/etc/nginx'], (b) => [`${b}/**/*.conf`, `${b}/sites-*/*`]), 300, {
        reloadCommand: 'nginx -s reload',
      });
    case 'compose':
      // no forced type: compose files by name, their `.env` files as env
      return template(
        'compose',
        null,
        under(DEFAULT_COMPOSE_ROOTS, (b) => [`${b}/**/docker-compose.y*ml`, `${b}/**/compose.y*ml`, `${b}/**/.env`]),
        600,
      );
    case 'systemd':
      return template(
        'systemd',
        'systemd',
        under(['/etc/systemd/system'], (b) => [`${b}/**/*.{service,socket,timer,mount,path}`, `${b}/**/*.d/*.conf`]),
        600,
      );
    case 'sshd':
      return template('sshd', 'sshd', under(['/etc/ssh'], (b) => [`${b}/sshd_config`, `${b}/sshd_config.d/*.conf`]), 900, {
        reloadCommand: 'systemctl reload ssh || systemctl reload sshd',
      });
    default:
      return undefined;
  }
}

export const BUILTIN_PROFILE_NAMES: readonly string[] = ['swag', 'nginx', 'compose', 'systemd', 'sshd'];

export interface ProfileSelection {
  /** Built-in profile names (`--profile`), optionally `name:/root1,/root2` to give roots. */
  readonly profiles: readonly string[];
  /** Custom globs (`--watch`). */
  readonly watch: readonly string[];
  readonly exclude: readonly string[];
  /** Forces the config type of the `--watch` globs. */
  readonly type?: ConfigType;
  readonly pollIntervalSec?: number;
  /** Refuse write-back when validation cannot run in context (`requireValidation`). */
  readonly requireValidation?: boolean;
}

/**
 * The profile rows for a new device. Throws a TypeError naming the unknown
 * profile, or the root or glob that is not an absolute path (the CLI turns
 * it into a usage error): a root reaches remote `find` and must never read
 * as one of its expressions (`compose:-delete`).
 */
export function resolveProfiles(device: string, selection: ProfileSelection): ProfileRecord[] {
  const rows: ProfileRecord[] = [];
  for (const spec of selection.profiles) {
    const colon = spec.indexOf(':');
    const name = colon === -1 ? spec : spec.slice(0, colon);
    const roots = colon === -1 ? [] : spec.slice(colon + 1).split(',');
    for (const root of roots) {
      if (!isAbsoluteClean(root)) throw new TypeError(`profile root "${root}" of ${name} must be an absolute path (e.g. ${name}:/srv/${name || 'app'})`);
    }
    const found = builtinProfile(name, roots);
    if (!found) throw new TypeError(`unknown profile "${name}" (built-in: ${BUILTIN_PROFILE_NAMES.join(', ')})`);
    rows.push({ ...found, device, exclude: [...found.exclude, ...selection.exclude], ...options(selection) });
  }
  if (selection.watch.length > 0) {
    for (const glob of selection.watch) {
      if (!isAbsoluteClean(glob)) throw new TypeError(`watch glob "${glob}" must be an absolute path`);
    }
    rows.push({
      ...template('custom', selection.type ?? null, [...selection.watch], 300),
      device,
      exclude: [...selection.exclude],
      ...options(selection),
    });
  }
  return rows;
}

const options = (s: ProfileSelection) => ({
  ...(s.pollIntervalSec ? { pollIntervalSec: s.pollIntervalSec } : {}),
  ...(s.requireValidation ? { requireValidation: true } : {}),
});

const trimSlash = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
