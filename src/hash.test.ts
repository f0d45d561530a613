import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from './hash.js';

describe('sha256Hex', () => {
  it('matches the well-known digest of the empty input', () => {
    expect(sha256Hex(Buffer.alloc(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('agrees with sha256sum on bytes that are not UTF-8', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x0a, 0xc3, 0x28]);
    const expected = execFileSync('sha256sum', { input: bytes }).toString().slice(0, 64);
    expect(sha256Hex(bytes)).toBe(expected);
  });
});
