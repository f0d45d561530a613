/**
 * The compose+nginx+systemd device of test/fixtures/deps, parsed with the
 * real parsers as the capture pipeline would.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getParser } from '../../src/parsers/registry.js';
import type { ParsedFile } from '../../src/analysis/dependency-graph.js';
import type { ConfigType } from '../../src/parsers/parser.js';

export const DEPS_FIXTURE = fileURLToPath(new URL('../fixtures/deps/', import.meta.url));

const typeOf = (path: string): ConfigType =>
  path.endsWith('compose.yaml') ? 'compose' : path.includes('/nginx/') ? 'nginx' : path.endsWith('.service') ? 'systemd' : 'generic';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

/** Device path → fixture file, README excluded. */
export function fixtureFiles(): Map<string, string> {
  return new Map(
    walk(DEPS_FIXTURE)
      .filter((f) => !f.endsWith('README.md'))
      .map((f) => [`/${relative(DEPS_FIXTURE, f)}`, f]),
  );
}

export function parsedFixture(): ParsedFile[] {
  const files = fixtureFiles();
  const readFile = (path: string) => (files.has(path) ? readFileSync(files.get(path)!) : undefined);
  return [...files.keys()].map((path) => {
    const type = typeOf(path);
    return { path, type, parsed: getParser(type).parse(readFile(path)!, { path, readFile }).data };
  });
}
