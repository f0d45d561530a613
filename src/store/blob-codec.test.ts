import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBlob, encodeBlob } from './blob-codec.js';

const roundTrip = async (content: Uint8Array, base?: Uint8Array): Promise<Buffer> => decodeBlob(await encodeBlob(content, base), base);

describe('blob codec', () => {
  it('round-trips arbitrary bytes in full', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (content) => {
        expect((await roundTrip(content)).equals(Buffer.from(content))).toBe(true);
      }),
    );
  });

  it('round-trips arbitrary bytes against an arbitrary base', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.uint8Array({ maxLength: 4096 }), async (content, base) => {
        expect((await roundTrip(content, base)).equals(Buffer.from(content))).toBe(true);
      }),
    );
  });

  it('round-trips edits of a base (insert, delete, replace at any offset)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 8192 }),
        fc.nat(),
        fc.nat({ max: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        async (base, at, removed, inserted) => {
          const offset = at % (base.length + 1);
          const content = Buffer.concat([base.subarray(0, offset), inserted, base.subarray(offset + removed)]);
          expect((await roundTrip(content, base)).equals(content)).toBe(true);
        },
      ),
    );
  });

  it('round-trips empty, invalid UTF-8 and 2 MB inputs', async () => {
    const big = randomBytes(2 * 1024 * 1024);
    const cases: [Uint8Array, Uint8Array | undefined][] = [
      [Buffer.alloc(0), undefined],
      [Buffer.alloc(0), Buffer.from('previous')],
      [Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x00, 0x80]), Buffer.from('text')],
      [big, undefined],
      [Buffer.concat([big.subarray(0, 1_000_000), Buffer.from('edit'), big.subarray(1_000_004)]), big],
    ];
    for (const [content, base] of cases) expect((await roundTrip(content, base)).equals(Buffer.from(content))).toBe(true);
  });

  it('stores a one-line edit of a large file as a small delta', async () => {
    const lines = Array.from({ length: 4000 }, (_, i) => `    location /app${i} { proxy_pass http://10.0.${i % 250}.${i % 7}:80${i}; }\n`);
    const base = Buffer.from(lines.join(''));
    lines[2500] = '    location /changed { return 204; }\n';
    const content = Buffer.from(lines.join(''));
    const encoded = await encodeBlob(content, base);
    expect(base.length).toBeGreaterThan(100_000);
    expect(encoded.encoding).toBe('delta');
    expect(encoded.bytes.length).toBeLessThan(100);
  });

  it('falls back to full when the base does not help', async () => {
    expect((await encodeBlob(randomBytes(1000), randomBytes(1000))).encoding).toBe('full');
  });
});
