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

describe('parseNginx `if` condition parentheses', () => {
  const ifArgs = (text: string) => {
    const { parsed } = parseNginx(Buffer.from(`server { ${text} { return 403; } }\n`), { fileName: 'a.conf' });
    return parsed[0]?.block?.[0]?.args;
  };

  it('strips the parentheses and Python whitespace beside them, as crossplane does', () => {
    expect(ifArgs('if ( $a = b )')).toEqual(['$a', '=', 'b']);
    expect(ifArgs('if ($a)')).toEqual(['$a']);
    expect(ifArgs('if "(\u00a0\tx \u3000)"')).toEqual(['x']);
    expect(ifArgs('if "( x  y )"')).toEqual(['x  y']);
    expect(ifArgs('if ($a')).toEqual(['($a']);
  });

  // Stripping is synchronous, so a test timeout cannot interrupt it: the bound is checked after the fact, in
  // seconds. Quadratic stripping took 4.6 s at 80k spaces, so about 75 s here; linear takes milliseconds.
  it('strips in linear time: 320k spaces between two characters', () => {
    const spaces = ' '.repeat(320_000);
    const started = performance.now();
    expect(ifArgs(`if "(x${spaces}x)"`)).toEqual([`x${spaces}x`]);
    expect(ifArgs(`if "(x${spaces})"`)).toEqual(['x']);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
