// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose `${VAR}` templates are among the generated scalars
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readBlockYaml } from './block-yaml.js';
import { loadComposeYaml, pointerSegment } from './compose-yaml.js';

const CORPUS = new URL('../../../test/fixtures/corpus/compose/awesome-compose/', import.meta.url);
const corpusTexts = readdirSync(CORPUS)
  .flatMap((dir) => ['compose.yaml', 'compose.yml'].map((name) => new URL(`${dir}/${name}`, CORPUS)))
  .filter((url) => existsSync(url))
  .map((url) => readFileSync(url, 'utf8'));

/** Every JSON pointer into a value, plus one missing child below each. */
function pointers(value: unknown, pointer = ''): string[] {
  const out = [pointer, `${pointer}/missing`];
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) out.push(...pointers(item, `${pointer}/${i}`));
  } else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pointers(v, `${pointer}/${pointerSegment(k)}`));
  return out;
}

/** Asserts the block reader and the full YAML parse agree on `text`; returns whether the block reader took it. */
function expectSameAsFullParse(text: string): boolean {
  const full = loadComposeYaml(text, undefined, { blockReader: false });
  const fast = loadComposeYaml(text);
  expect(fast.value).toEqual(full.value);
  expect(JSON.stringify(fast.value)).toBe(JSON.stringify(full.value));
  expect(fast.errors).toEqual(full.errors);
  expect(fast.warnings).toEqual(full.warnings);
  expect([...fast.tags]).toEqual([...full.tags]);
  for (const pointer of pointers(full.value)) expect([pointer, fast.lineOf(pointer)]).toEqual([pointer, full.lineOf(pointer)]);
  return readBlockYaml(text) !== undefined;
}

describe('block YAML reader', () => {
  it('reads every corpus compose file exactly as the full YAML parse does', () => {
    expect(corpusTexts.length).toBeGreaterThan(30);
    for (const text of corpusTexts) expect(expectSameAsFullParse(text)).toBe(true);
  });

  it('resolves scalars, quotes, comments and compact sequences as the full parse does', () => {
    const accepted = `
# leading comment
version: '3.7'
name: "app"   # trailing comment
services:
  web:
    image: nginx:1.25#not-a-comment
    command: ['a', "b c", 1, -2, 0x1F, 0o17, 1.5, .5, 1e3, .inf, -.Inf, .nan, ~, true, FALSE, yes]
    ports:
    - "80:80"
    -   443:443
    environment:
      A: ''
      B: 'it''s'
      C:
      D: null
      E: -1
      F: http://x:80/a
      "quoted key": 1
      'single key': 2
      a:b: 3
    healthcheck: {}
    labels: [ ]
    volumes:
      - type: bind
        source: ./src
        target: /src
      - ./data:/data
  db:
    image: postgres
`;
    expect(expectSameAsFullParse(accepted)).toBe(true);
  });

  it('leaves everything outside the block subset to the full parse', () => {
    const declined = [
      'a: &x 1\nb: *x\n',
      'a: !reset []\n',
      'base: &b {x: 1}\nc:\n  <<: *b\n',
      'a: |\n  text\n',
      'a: >\n  folded\n',
      'a: plain\n  continued\n',
      'a: 1\na: 2\n',
      'a:\n\t- x\n',
      'a: "esc\\n"\n',
      'a: {b: 1}\n',
      'a: [b, [c]]\n',
      'a: "open\n  close"\n',
      '---\na: 1\n',
      '- a\n- b\n',
      'just text\n',
      '',
      '# only a comment\n',
      'a: b: c\n',
      '1: x\n',
      'true: x\n',
      '__proto__: x\n',
      'a:\n  - x\n  y: 1\n',
      'a:\n    b: 1\n  c: 2\n',
      `k: ${'v'.repeat(2000)}\n`,
    ];
    for (const text of declined) {
      expect(readBlockYaml(text), text).toBeUndefined();
      expectSameAsFullParse(text);
    }
  });

  it('agrees with the full parse on generated documents', () => {
    const indent = fc.constantFrom('', '', ' ', '  ', '  ', '    ', '      ');
    const mostly = <T,>(good: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: odd, weight: 1 });
    const key = mostly(
      fc.constantFrom('a', 'b', 'web', 'x.y', 'a:b', '"q k"', "'s''k'", 'k ', 'é'),
      fc.constantFrom('-k', '80', 'true', 'null', '<<', '__proto__', '&a k'),
    );
    const scalar = mostly(
      fc.constantFrom(
        'v', '1', '-1', '+2', '0x1F', '0o17', '1.5', '.5', '1e3', '.inf', '-.Inf', '.nan', '~', 'null', 'True', 'FALSE', 'yes', '007', '-x',
        '"d q"', "'s ''q'''", "'a # b'", 'v # c', 'v#c', '[a, 1, "b", -2, .nan]', '[ ]', '[]', '{}', '{ }', 'http://x:80', '${VAR:-d}', 'x  ', 'a\u00a0',
      ),
      fc.constantFrom('{a: 1}', '"a\\"b"', '&x v', '*x', '!reset v', '|', '>', 'a: b', '-', '- x', '"open', '[a,]', '? x', '@x', '%x', ':x', '[a, [b]]'),
    );
    const line = fc.oneof(
      fc.tuple(indent, key).map(([i, k]) => `${i}${k}:`),
      fc.tuple(indent, key, scalar).map(([i, k, s]) => `${i}${k}: ${s}`),
      fc.tuple(indent, scalar).map(([i, s]) => `${i}- ${s}`),
      fc.tuple(indent, key, scalar).map(([i, k, s]) => `${i}- ${k}: ${s}`),
      fc.tuple(indent, key).map(([i, k]) => `${i}- ${k}:`),
      fc.constantFrom('', '# c', '  # c', '-', '- - x', 'x', '---'),
    );
    const indent0 = (text: string) => text.replace(/^ +/, '');
    const document = fc.tuple(fc.array(line, { minLength: 1, maxLength: 10 }), fc.boolean()).map(([lines, nl]) => [indent0(lines[0]!), ...lines.slice(1)].join('\n') + (nl ? '\n' : ''));
    let accepted = 0;
    fc.assert(
      fc.property(document, (text) => {
        if (expectSameAsFullParse(text)) accepted++;
      }),
      { numRuns: 3000 },
    );
    // The generator must exercise the block reader, not only the fallback.
    expect(accepted).toBeGreaterThan(100);
  });
});
