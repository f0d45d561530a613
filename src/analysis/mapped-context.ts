/**
 * Parsing through container path mappings: a SWAG proxy conf includes
 * `/config/nginx/proxy.conf`, which the device holds at
 * `<root>/nginx/proxy.conf`. The parser keeps asking for the path the file
 * names; these helpers answer with the host file behind it.
 */
import { posix } from 'node:path';
import type { ParseContext } from '../parsers/parser.js';
import { type PathMapping, toHostPath, uniqueMappings } from '../transport/path-mapping.js';
import { composeFacts } from './facts/compose-facts.js';

/**
 * `context` with `readFile` and `glob` resolving container paths through
 * `mappings` (the host file first, then the path as named). The context is
 * returned unchanged when there is nothing to map.
 */
export function mappedContext(context: ParseContext, mappings: readonly PathMapping[]): ParseContext {
  if (mappings.length === 0) return context;
  const { readFile, glob } = context;
  const near = context.path;
  return {
    ...context,
    ...(readFile
      ? {
          readFile: (path: string) => {
            const host = toHostPath(path, mappings, near);
            return readFile(host) ?? (host === path ? undefined : readFile(path));
          },
        }
      : {}),
    ...(glob
      ? {
          glob: (pattern: string) => {
            const host = toHostPath(pattern, mappings, near);
            const found = glob(host);
            return found.length > 0 || host === pattern ? found : glob(pattern);
          },
        }
      : {}),
  };
}

/**
 * Mappings a compose file declares: each bind mount of a host directory
 * (`./nginx:/etc/nginx`) says where that container's files live on the host.
 * `composePath` is the compose file's path (relative sources resolve
 * against its directory).
 */
export function composeMountMappings(composePath: string, parsed: unknown): PathMapping[] {
  const dir = posix.dirname(composePath);
  const out: PathMapping[] = [];
  for (const service of Object.values(composeFacts(parsed).services)) {
    for (const v of service.volumes) {
      if (v.type !== 'bind' || !v.source || !v.target.startsWith('/') || v.source.startsWith('~')) continue;
      const host = v.source.startsWith('/') ? posix.normalize(v.source) : posix.resolve(dir, v.source);
      const container = posix.normalize(v.target);
      if (container !== '/' && host !== '/') out.push({ container: container.replace(/\/$/, ''), host: host.replace(/\/$/, '') });
    }
  }
  return uniqueMappings(out);
}
