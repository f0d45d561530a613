import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { genericFormatOf, genericParser } from './generic.parser.js';

const parse = (path: string, text: string) => genericParser.parse(Buffer.from(text), { path });

describe('generic parser', () => {
  it('picks the format from the file name', () => {
    expect(genericFormatOf('/a/b.json')).toBe('json');
    expect(genericFormatOf('/a/b.YML')).toBe('yaml');
    expect(genericFormatOf('/a/b.toml')).toBe('toml');
    expect(genericFormatOf('/a/php.ini')).toBe('ini');
    expect(genericFormatOf('/opt/app/.env')).toBe('env');
    expect(genericFormatOf('/opt/app/.env.production')).toBe('env');
    expect(genericFormatOf('/opt/app/db.env')).toBe('env');
    expect(genericFormatOf('/etc/hosts')).toBe('text');
    expect(genericFormatOf(undefined)).toBe('text');
  });

  it('parses JSON, and names the line of a syntax error', () => {
    expect(parse('x.json', '{"a": [1, true, null]}').data).toEqual({ format: 'json', value: { a: [1, true, null] } });
    const bad = parse('x.json', '{\n  "a": 1,\n  "b": }\n');
    expect(bad.data).toBeNull();
    expect(bad.errors[0]?.line).toBe(3);
    expect(parse('x.json', '{\n"a": "unterminated\n}').errors[0]?.line).toBe(2);
  });

  it('parses YAML, multi-document YAML and refuses alias bombs', () => {
    expect(parse('x.yaml', 'a: 1\nb: [x, y]\n').data).toEqual({ format: 'yaml', value: { a: 1, b: ['x', 'y'] } });
    expect(parse('x.yml', 'a: 1\n---\nb: 2\n').data).toEqual({ format: 'yaml', value: [{ a: 1 }, { b: 2 }] });
    expect(parse('x.yaml', 'a: 1\nb: [unclosed\n').errors[0]?.line).toBeGreaterThanOrEqual(2);
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const bomb = parse('bomb.yaml', `${levels.join('\n')}\n`);
    expect(bomb.errors[0]?.message).toMatch(/alias/i);
  });

  it('parses TOML with error lines', () => {
    expect(parse('x.toml', '[server]\nport = 8080\n').data).toEqual({ format: 'toml', value: { server: { port: 8080 } } });
    expect(parse('x.toml', 'a = 1\nb = = 2\n').errors[0]?.line).toBe(2);
  });

  it('parses INI sections and reports malformed lines', () => {
    const result = parse('php.ini', 'top=1\n; comment\n[PHP]\nmemory_limit = 128M\nengine: On\ngarbage\n');
    expect(result.data).toEqual({ format: 'ini', value: { '': { top: '1' }, PHP: { memory_limit: '128M', engine: 'On' } } });
    expect(result.errors).toEqual([expect.objectContaining({ line: 6 })]);
  });

  it('parses .env files with quotes, export and comments', () => {
    const result = parse('.env', 'export A=1\nB="two\\nlines" \nC=\'$raw\'\nD=value # comment\n# skip\nE="multi\nline"\nbad line\n');
    expect(result.data).toEqual({ format: 'env', value: { A: '1', B: 'two\nlines', C: '$raw', D: 'value', E: 'multi\nline' } });
    expect(result.errors).toEqual([expect.objectContaining({ line: 8 })]);
  });

  it('counts lines of anything else as text', () => {
    expect(parse('/etc/hosts', '127.0.0.1 localhost\n::1 localhost\n').data).toEqual({ format: 'text', lines: 2 });
    expect(parse('/etc/empty', '').data).toEqual({ format: 'text', lines: 0 });
  });

  it('never throws on random bytes in any format, and errors carry lines', () => {
    const paths = ['a.json', 'a.yaml', 'a.toml', 'a.ini', '.env', 'a.txt'];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.uint8Array({ maxLength: 1000 }), (path, bytes) => {
        const result = genericParser.parse(Buffer.from(bytes), { path });
        expect(result.errors.every((e) => typeof e.line === 'number' && e.line >= 1)).toBe(true);
      }),
    );
  });

  it('survives deep nesting and invalid UTF-8', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(() => parse('deep.json', deep)).not.toThrow();
    expect(() => parse('deep.yaml', deep)).not.toThrow();
    const latin1 = genericParser.parse(Buffer.from([0x61, 0x3d, 0x0a, 0x62, 0x3d, 0xff, 0x0a]), { path: 'x.ini' });
    expect(latin1.warnings[0]).toMatchObject({ line: 2 });
  });

  it('refuses YAML with too many nodes with an error naming the line', () => {
    const result = parse('big.yaml', '- a\n'.repeat(60_000));
    expect(result.data).toBeNull();
    expect(result.errors).toEqual([{ message: 'YAML has more than 50000 nodes; not parsed', line: 50_001 }]);
  });

  it('reads a .env value quoted over many lines, escapes carried across line ends', () => {
    const result = parse('.env', `A="\n${'line\n'.repeat(100_000)}"\nB="x\\\ny"\nC=3\n`);
    expect(result.errors).toEqual([]);
    expect(result.data).toEqual({ format: 'env', value: { A: `\n${'line\n'.repeat(100_000)}`, B: 'x\\\ny', C: '3' } });
  });
});
