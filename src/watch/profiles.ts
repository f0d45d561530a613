/**
 * Watch definitions: the built-in profiles of SPEC §4 and the custom profile
 * made from `--watch`/`--exclude`/`--type`. A device's profiles are stored as
 * rows (store/records.ts ProfileRecord) when the device is added, so editing
 * a built-in here never silently changes what an existing device watches.
 */
import type { ConfigType } from '../parsers/parser.js';
import type { ProfileRecord } from '../store/records.js';

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
  ...extra,
});

/** Roots under which the compose profile looks, unless the user gives others. */
export const DEFAULT_COMPOSE_ROOTS: readonly string[] = ['/opt/stacks', '/srv'];

/**
 * Built-in profiles. Poll intervals follow the original plan: proxy confs
 * every 300 s, compose and systemd every 600 s, sshd every 900 s.
 */
export function builtinProfile(name: string, roots: readonly string[] = []): ProfileTemplate | undefined {
  switch (name) {
    case 'swag': {
      const bases = roots.length > 0 ? roots : ['/config'];
      return template(
        'swag',
        'nginx',
        bases.flatMap((b) => [`${trimSlash(b)}/nginx/proxy-confs/*.conf`, `${trimSlash(b)}/nginx/site-confs/*.conf`]),
        300,
        { reloadCommand: 'docker exec swag nginx -s reload' },
      );
    }
    case 'nginx':
      return template('nginx', 'nginx', ['/etc/nginx/**/*.conf', '/etc/nginx/sites-*/*'], 300, {
        reloadCommand: 'nginx -s reload',
      });
    case 'compose': {
      const bases = roots.length > 0 ? roots : DEFAULT_COMPOSE_ROOTS;
      return template(
        'compose',
        'compose',
        bases.flatMap((b) => [
          `${trimSlash(b)}/**/docker-compose.y*ml`,
          `${trimSlash(b)}/**/compose.y*ml`,
          `${trimSlash(b)}/**/.env`,
        ]),
        600,
      );
    }
    case 'systemd':
      return template(
        'systemd',
        'systemd',
        ['/etc/systemd/system/**/*.{service,socket,timer,mount,path}', '/etc/systemd/system/**/*.d/*.conf'],
        600,
      );
    case 'sshd':
      return template('sshd', 'sshd', ['/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d/*.conf'], 900, {
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
}

/**
 * The profile rows for a new device. Throws a TypeError naming the unknown
 * profile or relative glob (the CLI turns it into a usage error).
 */
export function resolveProfiles(device: string, selection: ProfileSelection): ProfileRecord[] {
  const rows: ProfileRecord[] = [];
  for (const spec of selection.profiles) {
    const [name = '', rootList] = spec.split(':', 2);
    const roots = rootList ? rootList.split(',').filter(Boolean) : [];
    const found = builtinProfile(name, roots);
    if (!found) throw new TypeError(`unknown profile "${name}" (built-in: ${BUILTIN_PROFILE_NAMES.join(', ')})`);
    rows.push({ ...found, device, exclude: [...found.exclude, ...selection.exclude], ...interval(selection) });
  }
  if (selection.watch.length > 0) {
    for (const glob of selection.watch) {
      if (!glob.startsWith('/')) throw new TypeError(`watch glob "${glob}" must be an absolute path`);
    }
    rows.push({
      ...template('custom', selection.type ?? null, [...selection.watch], 300),
      device,
      exclude: [...selection.exclude],
      ...interval(selection),
    });
  }
  return rows;
}

const interval = (s: ProfileSelection) => (s.pollIntervalSec ? { pollIntervalSec: s.pollIntervalSec } : {});

const trimSlash = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
