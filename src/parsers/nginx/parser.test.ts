import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import type { ParseContext } from '../parser.js';
import { parseNginx } from './parser.js';

const CORPUS = join(import.meta.dirname, '../../../test/fixtures/corpus');

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** Includes resolved inside one fixture folder, with paths relative to it. */
function folderContext(dir: string): ParseContext {
  const files = listFiles(dir).map((path) => relative(dir, path));
  return {
    readFile: (path) => (files.includes(path) ? readFileSync(join(dir, path)) : undefined),
    glob: (pattern) => {
      const matches = picomatch(pattern);
      return files.filter((file) => matches(file));
    },
  };
}

describe('parseNginx corpus parity with crossplane 0.5.7', () => {
  it('reproduces `parsed` of every corpus/nginx file exactly', () => {
    const root = join(CORPUS, 'nginx');
    const files = listFiles(root).filter((path) => !path.endsWith('/LICENSE'));
    const mismatches: string[] = [];
    for (const path of files) {
      const rel = relative(root, path);
      const expected = JSON.parse(readFileSync(join(CORPUS, 'nginx-expected', `${rel}.json`), 'utf8'));
      const actual = parseNginx(readFileSync(path), { fileName: rel });
      try {
        expect(actual).toEqual(expected);
      } catch {
        mismatches.push(rel);
      }
    }
    expect(mismatches).toEqual([]);
    expect(files.length - mismatches.length).toBe(394);
  });
});

describe('parseNginx golden crossplane test configs', () => {
  const root = join(CORPUS, 'nginx-crossplane-tests');
  const cases = readdirSync(root).filter((name) => listFiles(root).includes(join(root, name, 'crossplane-output.json')));

  it.each(cases)('%s (single)', (name) => {
    const golden = JSON.parse(readFileSync(join(root, name, 'crossplane-output.json'), 'utf8')).single;
    const { status, errors, parsed } = parseNginx(readFileSync(join(root, name, 'nginx.conf')), { fileName: 'nginx.conf' });
    const fileErrors = errors.map((e) => ({ ...e, file: null }));
    expect({ status, errors, config: [{ file: 'nginx.conf', status, errors: fileErrors, parsed }] }).toEqual(golden);
  });

  it.each(cases)('%s (full: includes, comments, context and argument checks)', (name) => {
    const dir = join(root, name);
    const golden = JSON.parse(readFileSync(join(dir, 'crossplane-output.json'), 'utf8')).full;
    const actual = parseNginx(readFileSync(join(dir, 'nginx.conf')), {
      single: false,
      comments: true,
      checkCtx: true,
      checkArgs: true,
      fileName: 'nginx.conf',
      context: folderContext(dir),
    });
    expect(actual).toEqual(golden);
  });
});
