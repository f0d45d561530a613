import { describe, expect, it } from 'vitest';
import { decodeNginxText, lexNginx } from './lexer.js';
import { parseNginx } from './parser.js';

const lex = (text: string) => {
  const { tokens, failure } = lexNginx(text, 'test.conf');
  return { tokens: tokens.map((t) => [t.value, t.line, t.quoted]), failure: failure?.message };
};
const parsed = (text: string) => parseNginx(Buffer.from(text), { fileName: 'test.conf' });

describe('lexNginx', () => {
  it('splits on whitespace and treats { } ; as tokens', () => {
    expect(lex('a b{c;}').tokens).toEqual([
      ['a', 1, false],
      ['b', 1, false],
      ['{', 1, false],
      ['c', 1, false],
      [';', 1, false],
      ['}', 1, false],
    ]);
  });

  it('starts comments only at a token start, and drops a final comment without newline', () => {
    expect(lex('a#b # c\nd;').tokens).toEqual([
      ['a#b', 1, false],
      ['# c', 1, false],
      ['d', 2, false],
      [';', 2, false],
    ]);
    expect(lex('x; # last').tokens).toEqual([
      ['x', 1, false],
      [';', 1, false],
    ]);
  });

  it('keeps escapes, unescapes only the matching quote, and treats mid-token quotes as text', () => {
    expect(lex(String.raw`"a\"b\'c" d\;e x"y";`).tokens).toEqual([
      [String.raw`a"b\'c`, 1, true],
      [String.raw`d\;e`, 1, false],
      ['x"y"', 1, false],
      [';', 1, false],
    ]);
  });

  it('keeps the braces of a $-variable expansion inside a token', () => {
    const braced = ['$', '{b}c'].join('');
    expect(lex(`set $a ${braced};`).tokens.map((t) => t[0])).toEqual(['set', '$a', braced, ';']);
  });

  it('keeps Lua blocks as one quoted token, ignoring braces in strings and comments', () => {
    const { tokens } = lex('content_by_lua_block {\n  local s = "}" -- }\n  t = {1}\n}\nnext;');
    expect(tokens).toEqual([
      ['content_by_lua_block', 1, false],
      ['\n  local s = "}" -- }\n  t = {1}\n', 4, true],
      [';', 4, false],
      ['next', 5, false],
      [';', 5, false],
    ]);
  });

  it('reports unbalanced braces with crossplane messages and lines', () => {
    expect(lex('a {\n}\n}').failure).toBe('unexpected "}" in test.conf:3');
    expect(lex('a {\nb;').failure).toBe('unexpected end of file, expecting "}" in test.conf:2');
    expect(lex('content_by_lua_block x').failure).toBe('expected { to start Lua block in None:1');
  });

  it('decodes like Python: invalid UTF-8 replaced, CRLF and CR become LF', () => {
    expect(decodeNginxText(Buffer.from([0x61, 0xf6, 0x0d, 0x0a, 0x62, 0x0d, 0x63]))).toBe('a\uFFFD\nb\nc');
  });
});

describe('parseNginx statements', () => {
  it('strips the parentheses of if conditions', () => {
    expect(parsed('if ( $a = b ) { return 403; }').parsed[0]!.args).toEqual(['$a', '=', 'b']);
    expect(parsed('if ($a) { }').parsed[0]!.args).toEqual(['$a']);
  });

  it('keeps comments as statements only when asked, and moves comments between arguments after the statement', () => {
    expect(parsed('# top\nlisten 80 # why\n;').parsed).toEqual([
      { directive: 'listen', line: 2, args: ['80'] },
      { directive: '#', line: 2, args: [], comment: ' why' },
    ]);
    const withComments = parseNginx(Buffer.from('# top\nx;'), { comments: true });
    expect(withComments.parsed[0]).toEqual({ directive: '#', line: 1, args: [], comment: ' top' });
  });

  it('fails the whole file with an empty message where input ends mid-statement', () => {
    expect(parsed('a;\nb c')).toEqual({ status: 'failed', errors: [{ file: 'test.conf', error: '', line: null }], parsed: [] });
  });

  it('with argument checks, reports a missing semicolon and closes the block as crossplane does', () => {
    const text = 'http {\n  server {\n    location /a {\n      proxy_pass http://a\n    }\n    location /b { proxy_pass http://b; }\n  }\n}\n';
    const result = parseNginx(Buffer.from(text), { fileName: 'broken.conf', checkArgs: true, checkCtx: true });
    expect(result.errors).toEqual([
      { file: 'broken.conf', error: 'directive "proxy_pass" is not terminated by ";" in broken.conf:4', line: 4 },
    ]);
    const server = result.parsed[0]!.block![0]!;
    expect(server.block!.map((s) => [s.directive, s.args, s.block?.length])).toEqual([
      ['location', ['/a'], 0],
      ['location', ['/b'], 1],
    ]);
  });

  it('reports directives outside their context and bad flags', () => {
    const result = parseNginx(Buffer.from('listen 80;\nhttp { gzip maybe; }'), { fileName: 'n.conf', checkArgs: true, checkCtx: true });
    expect(result.errors.map((e) => e.error)).toEqual([
      '"listen" directive is not allowed here in n.conf:1',
      'invalid value "maybe" in "gzip" directive, it must be "on" or "off" in n.conf:2',
    ]);
  });
});
