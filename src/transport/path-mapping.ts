/**
 * Container paths and the host directories behind them. A SWAG proxy conf
 * names `/config/nginx/ssl.conf`; on the host that file is
 * `<swag root>/nginx/ssl.conf`. A device (`device add --map C=H`), a
 * profile (`swag` maps `/config` to its root) or a compose bind mount
 * (`./nginx:/etc/nginx`) gives the pair.
 */
import type { RemotePath } from './remote-path.js';

export interface PathMapping {
  /** Absolute path as the container sees it (`/config`). */
  readonly container: string;
  /** Absolute path of the same directory on the host (`/srv/swag`). */
  readonly host: string;
}

/**
 * `C=H` as given to `--map`. Throws a TypeError with a one-line message when
 * either side is not an absolute path (the CLI makes it a usage error).
 */
export function parsePathMapping(spec: string): PathMapping {
  const at = spec.indexOf('=');
  const container = at > 0 ? trimSlash(spec.slice(0, at)) : '';
  const host = at > 0 ? trimSlash(spec.slice(at + 1)) : '';
  if (!isAbsoluteClean(container) || !isAbsoluteClean(host)) {
    throw new TypeError(`--map "${spec}" must be CONTAINER_PATH=HOST_PATH with both absolute (e.g. /config=/srv/swag)`);
  }
  return { container, host };
}

/** An absolute path without `.`/`..` segments or control characters. */
export function isAbsoluteClean(path: string): boolean {
  if (!path.startsWith('/') || /[\x00-\x1f]/.test(path)) return false;
  return !path.split('/').some((segment) => segment === '.' || segment === '..');
}

const trimSlash = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') || '/' : p);

const within = (path: string, dir: string): boolean => dir === '/' || path === dir || path.startsWith(`${dir}/`);

/**
 * The host path for a path a config names. Mappings whose host directory
 * holds `near` (the file that names the path) come first, since two
 * containers may both see `/config`; then the longest container prefix
 * wins. Unmapped paths are returned as they are.
 */
export function toHostPath(path: string, mappings: readonly PathMapping[], near?: RemotePath): string {
  let best: PathMapping | undefined;
  let bestNear = false;
  for (const m of mappings) {
    if (m.container === '/' || !within(path, m.container)) continue;
    const isNear = near !== undefined && m.host !== '/' && within(near, m.host);
    if (!best || (isNear && !bestNear) || (isNear === bestNear && m.container.length > best.container.length)) {
      best = m;
      bestNear = isNear;
    }
  }
  if (!best) return path;
  const rest = path.slice(best.container.length);
  return best.host === '/' ? rest || '/' : `${best.host}${rest}`;
}

/** Mappings without duplicates, in the order given. */
export function uniqueMappings(mappings: readonly PathMapping[]): PathMapping[] {
  const seen = new Set<string>();
  return mappings.filter((m) => {
    const key = `${m.container}\0${m.host}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The mappings that hold for files of a device under the given profiles:
 * the device's own (`--map`) first, then each profile's (`swag`), once each.
 */
export function mappingsFor(
  device: { readonly pathMappings?: readonly PathMapping[] },
  profiles: readonly { readonly pathMappings?: readonly PathMapping[] }[],
): PathMapping[] {
  return uniqueMappings([...(device.pathMappings ?? []), ...profiles.flatMap((p) => p.pathMappings ?? [])]);
}
