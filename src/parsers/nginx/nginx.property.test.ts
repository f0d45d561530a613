import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nginxParser } from './nginx.parser.js';
import { MAX_BLOCK_DEPTH, parseNginx } from './parser.js';
import type { NginxSinglePayload } from './payload.js';

const CORPUS = join(import.meta.dirname, '../../../test/fixtures/corpus/nginx');
const listFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
const corpus = listFiles(CORPUS)
  .filter((path) => !path.endsWith('LICENSE'))
  .map((path) => readFileSync(path));

/** Bytes that are mostly nginx syntax, so the fuzzing reaches the parser's corners. */
const nginxish = fc
  .array(fc.constantFrom('{', '}', ';', '"', "'", '\\', '#', '$', '${', '(', ')', ' ', '\n', '\r', 'if', 'server', 'include', 'content_by_lua_block', 'set_by_lua_block', '--', 'x', 'é', '\u00a0'), { maxLength: 200 })
  .map((parts) => Buffer.from(parts.join('')));

/** A context whose every include resolves to the same few bytes, cycles included. */
const loopingContext = (bytes: Buffer) => ({
  path: '/etc/nginx/nginx.conf',
  readFile: () => bytes,
  glob: (pattern: string) => [pattern.replace(/\*/g, 'a'), '/etc/nginx/nginx.conf'],
});

const parsesQuietly = (bytes: Buffer): void => {
  const result = nginxParser.parse(bytes, loopingContext(bytes));
  for (const issue of result.errors) expect(issue.line).toBeGreaterThan(0);
  parseNginx(bytes, { single: false, comments: true, checkCtx: true, checkArgs: true, context: loopingContext(bytes) });
  nginxParser.parse(bytes);
};

describe('nginx parser on bad input', () => {
  it('never throws on random bytes, and every error names a line', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => parsesQuietly(Buffer.from(bytes))), { numRuns: 300 });
  });

  it('never throws on random nginx-like token soup', () => {
    fc.assert(fc.property(nginxish, parsesQuietly), { numRuns: 500 });
  });

  it('never throws on mutated corpus files', () => {
    const mutation = fc.record({
      file: fc.nat(corpus.length - 1),
      edits: fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), remove: fc.nat(8), insert: fc.uint8Array({ maxLength: 4 }) }), { minLength: 1, maxLength: 6 }),
    });
    fc.assert(
      fc.property(mutation, ({ file, edits }) => {
        let bytes = corpus[file]!;
        for (const { at, remove, insert } of edits) {
          const pos = Math.floor(at * bytes.length);
          bytes = Buffer.concat([bytes.subarray(0, pos), Buffer.from(insert), bytes.subarray(pos + remove)]);
        }
        parsesQuietly(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('parses a 5 MB generated config completely', () => {
    const server = (i: number) =>
      `server {\n  listen 443 ssl;\n  server_name s${i}.example.com;\n  location / {\n    set $upstream_app app${i};\n    set $upstream_port 80;\n    proxy_pass http://$upstream_app:$upstream_port;\n  }\n}\n`;
    const parts: string[] = ['http {\n'];
    let size = 0;
    let count = 0;
    while (size < 5 * 1024 * 1024) {
      const text = server(count++);
      parts.push(text);
      size += text.length;
    }
    parts.push('}\n');
    const result = nginxParser.parse(Buffer.from(parts.join('')), { path: '/etc/nginx/nginx.conf' });
    expect(result.errors).toEqual([]);
    const servers = (result.data!.payload as NginxSinglePayload).parsed[0]!.block!;
    expect(servers).toHaveLength(count);
    expect(servers[count - 1]!.block!.find((s) => s.directive === 'server_name')?.args).toEqual([`s${count - 1}.example.com`]);
  });

  it('refuses 10,000 nested blocks with a clear error instead of overflowing the stack', () => {
    const depth = 10_000;
    const bytes = Buffer.from(`${'a {\n'.repeat(depth)}${'}\n'.repeat(depth)}`);
    const result = nginxParser.parse(bytes, { path: 'deep.conf' });
    expect(result.errors).toEqual([
      { message: `blocks nested deeper than ${MAX_BLOCK_DEPTH} levels in deep.conf:${MAX_BLOCK_DEPTH + 1}`, line: MAX_BLOCK_DEPTH + 1, file: 'deep.conf' },
    ]);
    expect(result.data).toBeNull();
  });

  it('parses nesting up to the limit', () => {
    const depth = MAX_BLOCK_DEPTH;
    const result = parseNginx(Buffer.from(`${'location / {'.repeat(depth)}${'}'.repeat(depth)}`));
    expect(result.status).toBe('ok');
    expect(JSON.stringify(result.parsed).match(/"location"/g)).toHaveLength(depth);
  });
});
