import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles the ceiling from 1 s up to 60 s', () => {
    const backoff = new Backoff({ random: () => 0.999_999 });
    const delays = Array.from({ length: 9 }, () => backoff.next());
    expect(delays).toEqual([999, 1_999, 3_999, 7_999, 15_999, 31_999, 59_999, 59_999, 59_999]);
    expect(backoff.attempt).toBe(9);
  });

  it('draws each delay uniformly below the ceiling (full jitter)', () => {
    const draws = [0, 0.5];
    const backoff = new Backoff({ random: () => draws.shift() ?? 0.25 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([0, 1_000, 1_000]);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ random: () => 0.5, baseMs: 100, capMs: 1_000 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });
});
