/**
 * Counts failures per key inside a sliding window (login: per client
 * address + user name, and per user name). Memory is bounded: old entries
 * are pruned on every call and the number of tracked keys is capped.
 *
 * Attempts still being checked count against the limit (`begin` reserves
 * one synchronously), so N concurrent attempts cannot all be evaluated
 * before the first failure is recorded.
 */

export interface RateLimiterOptions {
  /** Failures allowed inside the window before `isLimited` turns true. Default 5. */
  readonly maxFailures?: number;
  /** Window length in ms. Default 60,000. */
  readonly windowMs?: number;
  /** Keys tracked at most; the oldest are forgotten first. Default 10,000. */
  readonly maxKeys?: number;
  /** Clock, for tests. Default Date.now. */
  readonly now?: () => number;
}

export class FailureRateLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #inFlight = new Map<string, number>();
  readonly #options: Required<RateLimiterOptions>;

  constructor(options: RateLimiterOptions = {}) {
    this.#options = Object.freeze({ maxFailures: 5, windowMs: 60_000, maxKeys: 10_000, now: Date.now, ...options });
  }

  /** True when the key has used up its failures (counting attempts in flight) in the current window. */
  isLimited(key: string): boolean {
    return this.#recent(key).length + (this.#inFlight.get(key) ?? 0) >= this.#options.maxFailures;
  }

  /**
   * Reserves one attempt for the key; false (nothing reserved) when it is
   * limited. Every reservation must be ended with `end`.
   */
  begin(key: string): boolean {
    if (this.isLimited(key)) return false;
    this.#inFlight.set(key, (this.#inFlight.get(key) ?? 0) + 1);
    return true;
  }

  /** Ends a reserved attempt: a failure is recorded, a success forgets the key's failures, `abandoned` only frees the slot. */
  end(key: string, outcome: 'failure' | 'success' | 'abandoned'): void {
    const left = (this.#inFlight.get(key) ?? 1) - 1;
    if (left > 0) this.#inFlight.set(key, left);
    else this.#inFlight.delete(key);
    if (outcome === 'failure') this.recordFailure(key);
    else if (outcome === 'success') this.reset(key);
  }

  /** Records one failure for the key. */
  recordFailure(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.#options.now());
    this.#failures.delete(key);
    this.#failures.set(key, recent);
    if (this.#failures.size > this.#options.maxKeys) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }

  /** Forgets the key's failures (after a successful login). */
  reset(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string): number[] {
    const since = this.#options.now() - this.#options.windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (recent.length === 0) this.#failures.delete(key);
    return recent;
  }
}
