import { describe, expect, it } from 'vitest';
import { FailureRateLimiter } from './rate-limiter.js';

describe('FailureRateLimiter', () => {
  it('limits a key after maxFailures inside the window and forgets them when it slides', () => {
    let now = 0;
    const limiter = new FailureRateLimiter({ maxFailures: 3, windowMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(limiter.isLimited('a')).toBe(false);
      limiter.recordFailure('a');
      now += 100;
    }
    expect(limiter.isLimited('a')).toBe(true);
    expect(limiter.isLimited('b')).toBe(false);
    now = 1001; // the first failure (t=0) left the window
    expect(limiter.isLimited('a')).toBe(false);
  });

  it('resets a key after success', () => {
    const limiter = new FailureRateLimiter({ maxFailures: 1 });
    limiter.recordFailure('a');
    expect(limiter.isLimited('a')).toBe(true);
    limiter.reset('a');
    expect(limiter.isLimited('a')).toBe(false);
  });

  it('tracks a bounded number of keys, forgetting the oldest', () => {
    const limiter = new FailureRateLimiter({ maxFailures: 1, maxKeys: 2 });
    for (const key of ['a', 'b', 'c']) limiter.recordFailure(key);
    expect([limiter.isLimited('a'), limiter.isLimited('b'), limiter.isLimited('c')]).toEqual([false, true, true]);
  });
});
