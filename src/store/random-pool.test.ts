import { describe, expect, it } from 'vitest';
import { pooledRandomBytes } from './random-pool.js';

describe('pooledRandomBytes', () => {
  it('hands out distinct values that later draws never overwrite', () => {
    const first = pooledRandomBytes(12);
    const copy = Buffer.from(first);
    const seen = new Set<string>([copy.toString('hex')]);
    // several pool refills
    for (let i = 0; i < 2_000; i++) seen.add(pooledRandomBytes(12).toString('hex'));
    expect(seen.size).toBe(2_001);
    expect(first.equals(copy)).toBe(true);
  });

  it('serves sizes larger than the pool', () => {
    expect(pooledRandomBytes(10_000)).toHaveLength(10_000);
  });
});
