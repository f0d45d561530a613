/**
 * Parsing through container path mappings: a SWAG proxy conf includes
 * `/config/nginx/proxy.conf`, which the device holds at
 * `<root>/nginx/proxy.conf`; the parser reads (and names) the host file.
 */
import { posix } from 'node:path';
import type { ParseContext } from '../parsers/parser.js';
import { type PathMapping, toHostPath, uniqueMappings } from '../transport/path-mapping.js';
import { composeFacts } from './facts/compose-facts.js';

/**
 * `context` with its `resolvePath` mapping container paths to the host
 * files behind them; returned unchanged when there is nothing to map.
 */
export function mappedContext(context: ParseContext, mappings: readonly PathMapping[]): ParseContext {
  if (mappings.length === 0) return context;
  return { ...context, resolvePath: (path: string) => toHostPath(path, mappings, context.path) };
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
