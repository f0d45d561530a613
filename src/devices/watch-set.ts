/**
 * A device's profiles compiled into one matcher: which remote paths are
 * watched, under which profile and config type, and which directories a
 * watcher or scanner has to look at to see all of them.
 */

import picomatch from 'picomatch';
import { detectConfigType } from '../parsers/detect-type.js';
import type { ConfigType } from '../parsers/parser.js';
import type { ProfileRecord } from '../store/records.js';
import { sh } from '../transport/quote.js';
import { displayPath, type RemotePath, remotePathFromBytes } from '../transport/remote-path.js';
import type { Transport } from '../transport/transport.js';
import { DEFAULT_EXCLUDES, DEFAULT_MAX_FILE_BYTES } from './profiles.js';

export interface WatchMatch {
  /** The first profile (in profile order) whose globs match and whose excludes do not. */
  readonly profile: ProfileRecord;
  /** The profile's forced type; null means "detect per file" (see `configTypeFor`). */
  readonly configType: ConfigType | null;
}

export interface WatchSet {
  /** The profiles this set was compiled from, in order. */
  readonly profiles: readonly ProfileRecord[];
  /** The profile a path belongs to, or null when no profile watches it (or it is excluded). */
  match(path: RemotePath): WatchMatch | null;
  /** True when any profile's excludes (or the default excludes) cover the path. */
  isExcluded(path: RemotePath): boolean;
  /**
   * The config type to record for a watched file: the profile's forced type,
   * else detected from the name and content. 'generic' for unwatched paths.
   */
  configTypeFor(path: RemotePath, content: Buffer | null): ConfigType;
  /**
   * For each glob the deepest directory without glob characters, with roots
   * that lie inside other roots dropped. Sorted.
   */
  roots(): RemotePath[];
  /**
   * `roots()` with each missing root replaced by its deepest existing
   * ancestor, resolved in one `run` round trip, de-duplicated again.
   */
  rootsExisting(transport: Pick<Transport, 'run'>): Promise<RemotePath[]>;
  /** The size limit of the matching profile; the default (1 MiB) for unwatched paths. */
  maxFileBytes(path: RemotePath): number;
  /**
   * The last path segments of every glob, for a remote `find -name`
   * pre-filter; null when some glob cannot be expressed that way (then the
   * remote side lists everything under the roots).
   */
  namePatterns(): string[] | null;
}

type Matcher = (path: string) => boolean;

interface CompiledProfile {
  readonly profile: ProfileRecord;
  readonly include: Matcher;
  readonly exclude: Matcher;
}

const GLOB_OPTIONS = { dot: true } as const;

/** Excludes without a slash (`*.bak`) apply to the file name, as users expect from `--exclude`. */
/** One regular expression per glob, tested directly (polls match thousands of paths). */
function compileGlobs(globs: readonly string[]): Matcher {
  const res = globs.map((g) => picomatch.makeRe(g, GLOB_OPTIONS));
  return (p) => res.some((re) => re.test(p));
}

function compileExcludes(globs: readonly string[]): Matcher {
  const byPath = compileGlobs(globs.filter((g) => g.includes('/')));
  const byName = compileGlobs(globs.filter((g) => !g.includes('/')));
  return (p) => byPath(p) || byName(p.slice(p.lastIndexOf('/') + 1));
}

/** Detects the config type of a file from its name and bytes. */
export type ConfigTypeDetector = (path: string, content: Buffer) => ConfigType;

/** SPEC §4 detection from the name and, for `.conf` files, the content (nginx or generic). */
export const detectFileType: ConfigTypeDetector = (path, content) => detectConfigType(path, content);

export function compileWatchSet(
  profiles: readonly ProfileRecord[],
  detectType: ConfigTypeDetector = detectFileType,
): WatchSet {
  const compiled: CompiledProfile[] = profiles.map((profile) => ({
    profile,
    include: compileGlobs(profile.paths),
    exclude: compileExcludes([...profile.exclude, ...DEFAULT_EXCLUDES]),
  }));
  const anyExclude = compileExcludes([...profiles.flatMap((p) => p.exclude), ...DEFAULT_EXCLUDES]);
  const allRoots = collapseRoots(profiles.flatMap((p) => p.paths.map(globRoot)));
  const patterns = lastSegmentPatterns(profiles.flatMap((p) => p.paths));

  const match = (path: RemotePath): WatchMatch | null => {
    const shown = matchable(path);
    for (const c of compiled) {
      if (c.include(shown) && !c.exclude(shown)) return { profile: c.profile, configType: c.profile.configType };
    }
    return null;
  };

  return {
    profiles,
    match,
    isExcluded: (path) => anyExclude(matchable(path)),
    configTypeFor(path, content) {
      const found = match(path);
      if (!found) return 'generic';
      return found.configType ?? detectType(displayPath(path), content ?? Buffer.alloc(0));
    },
    roots: () => [...allRoots],
    rootsExisting: (transport) => existingAncestors(transport, allRoots),
    maxFileBytes: (path) => match(path)?.profile.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    namePatterns: () => (patterns ? [...patterns] : null),
  };
}

/**
 * The displayed path with line terminators replaced: picomatch's `**` does
 * not cross them (its regex uses `.`), while a glob never names them
 * literally, so any other non-slash character matches the same globs.
 */
const matchable = (path: RemotePath): string => displayPath(path).replace(/[\n\r\u2028\u2029]/g, '\uFFFD');

/** `/etc/nginx/**\/*.conf` → `/etc/nginx`; `/etc/ssh/sshd_config` → `/etc/ssh`. */
export function globRoot(glob: string): RemotePath {
  const scanned = picomatch.scan(glob);
  const base = scanned.isGlob ? scanned.base : parentOf(scanned.base);
  return base === '' ? '/' : base;
}

const parentOf = (path: string): string => {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
};

const isInside = (path: string, dir: string): boolean =>
  dir === '/' ? path.startsWith('/') : path === dir || path.startsWith(`${dir}/`);

/** Sorted, de-duplicated, without roots nested in other roots. */
export function collapseRoots(roots: readonly RemotePath[]): RemotePath[] {
  const sorted = [...new Set(roots)].sort();
  return sorted.filter((root) => !sorted.some((other) => other !== root && isInside(root, other)));
}

async function existingAncestors(transport: Pick<Transport, 'run'>, roots: readonly RemotePath[]): Promise<RemotePath[]> {
  if (roots.length === 0) return [];
  // One round trip: walk each root up until a directory exists.
  const script = sh`for p in ${[...roots]}; do
  while [ ! -d "$p" ] && [ "$p" != / ]; do p=$(dirname -- "$p"); done
  printf '%s\\0' "$p"
done`;
  const result = await transport.run(script);
  const found = splitNul(result.stdout).map((bytes) => remotePathFromBytes(bytes));
  return collapseRoots(found.length === roots.length ? found : roots);
}

/** NUL-terminated records → their bytes (a trailing empty record is dropped). */
export function splitNul(buffer: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = buffer.indexOf(0, start); i !== -1; i = buffer.indexOf(0, start)) {
    out.push(buffer.subarray(start, i));
    start = i + 1;
  }
  if (start < buffer.length) out.push(buffer.subarray(start));
  return out;
}

/**
 * `find -name` patterns for the last segment of every glob, with one level
 * of `{a,b}` expanded. Null when a segment is `**`, has nested braces,
 * extglobs or escapes, which `find -name` would read differently.
 */
export function lastSegmentPatterns(globs: readonly string[]): string[] | null {
  const out = new Set<string>();
  for (const glob of globs) {
    const segment = glob.slice(glob.lastIndexOf('/') + 1);
    if (segment === '' || segment.includes('**') || /[\\()!+@]/.test(segment)) return null;
    const expanded = expandBraces(segment);
    if (!expanded) return null;
    for (const p of expanded) out.add(p);
  }
  return [...out].sort();
}

function expandBraces(segment: string): string[] | null {
  const open = segment.indexOf('{');
  if (open === -1) return segment.includes('}') ? null : [segment];
  const close = segment.indexOf('}', open);
  if (close === -1) return null;
  const inner = segment.slice(open + 1, close);
  if (inner.includes('{')) return null;
  const rest = expandBraces(segment.slice(close + 1));
  if (!rest) return null;
  const head = segment.slice(0, open);
  return inner.split(',').flatMap((alt) => rest.map((tail) => `${head}${alt}${tail}`));
}
