import type { ParseContext } from '../parser.js';

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/**
 * The drop-in files that apply to the unit at `path`, in the order systemd
 * applies them: `NAME.d/*.conf` (and, for an instance `a@b.service`, the
 * template's `a@.service.d/*.conf` too), sorted by file name; a file name in
 * the instance directory hides the same name in the template directory.
 */
export function dropInPaths(path: string, context: ParseContext): string[] {
  if (!context.glob || /\.d\/[^/]+\.conf$/.test(path)) return [];
  const dir = path.slice(0, path.lastIndexOf('/') + 1);
  const name = baseName(path);
  const template = name.replace(/@[^.]+\./, '@.');
  const dirs = template === name ? [name] : [template, name];
  const byName = new Map<string, string>();
  for (const d of dirs) {
    for (const file of context.glob(`${dir}${d}.d/*.conf`)) byName.set(baseName(file), file);
  }
  return [...byName.keys()].sort().map((key) => byName.get(key)!);
}
