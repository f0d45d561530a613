import { describe, expect, it } from 'vitest';
import { lexNginx, NginxTokenBatches } from './lexer.js';
import { parseNginx } from './parser.js';

/** Every batch joined, with the failure the stream ends with. */
const drain = (text: string) => {
  const batches = new NginxTokenBatches(text, 'test.conf');
  const tokens: [string, number, boolean][] = [];
  while (batches.next()) {
    const { tokens: batch } = batches;
    for (let i = 0; i < batch.length; i++) tokens.push([batch.values[i]!, batch.line(i), batch.quoted(i)]);
  }
  return { tokens, failure: batches.failure?.message };
};
const whole = (text: string) => {
  const { tokens, failure } = lexNginx(text, 'test.conf');
  return { tokens: tokens.map((t): [string, number, boolean] => [t.value, t.line, t.quoted]), failure: failure?.message };
};

// Far more tokens than one batch holds, so every case crosses batch boundaries;
// nine tokens a statement move the boundary to every position in turn, Lua
// block names among the arguments included (they start no block there).
const body = Array.from({ length: 6000 }, (_, i) => `d${i} log_by_lua_block "q ${i}" set_by_lua_block $x\${y} 'a;b' \\; # c${i}\n;`).join('\n');

describe('NginxTokenBatches', () => {
  it.each([
    ['a balanced file', `http {\n${body}\n}\n`],
    ['an unmatched } after the first batch', `http {\n${body}\n}\n}\nafter;\n`],
    ['a block left open', `http {\n${body}\n`],
    ['a Lua block past the first batch', `http {\n${body}\ncontent_by_lua_block { ngx.say("}") }\n}\n`],
    ['a Lua block missing its {', `${body}\ncontent_by_lua_block x;\n`],
    ['a quote left open', `${body}\nlast "open;\n`],
  ])('gives the same stream as lexing the whole file: %s', (_name, text) => {
    const batched = drain(text);
    expect(batched.tokens.length).toBeGreaterThan(20_000);
    expect(batched).toEqual(whole(text));
  });

  it('lets the parser report an unmatched } far into a large file', () => {
    const result = parseNginx(Buffer.from(`http {\n${body}\n}\n}\n`), { fileName: 'test.conf' });
    expect(result.errors).toEqual([{ file: 'test.conf', error: 'unexpected "}" in test.conf:12003', line: 12003 }]);
    expect(result.status).toBe('failed');
  });
});
