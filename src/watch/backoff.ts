/**
 * Exponential backoff with full jitter: the n-th retry waits a uniformly
 * random time in [0, min(cap, base · 2ⁿ)). Full jitter spreads the reconnects
 * of many devices that dropped together (one switch rebooting) instead of
 * having them hammer the hosts in lockstep.
 */

export interface BackoffOptions {
  /** First ceiling. Default 1,000 ms. */
  readonly baseMs?: number;
  /** Largest ceiling. Default 60,000 ms. */
  readonly capMs?: number;
  /** Source of randomness in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

export class Backoff {
  readonly #baseMs: number;
  readonly #capMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#baseMs = options.baseMs ?? 1_000;
    this.#capMs = options.capMs ?? 60_000;
    this.#random = options.random ?? Math.random;
  }

  /** Retries taken since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next retry; each call doubles the ceiling up to the cap. */
  next(): number {
    const ceiling = Math.min(this.#capMs, this.#baseMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.floor(this.#random() * ceiling);
  }

  /** Back to the first ceiling, after a success. */
  reset(): void {
    this.#attempt = 0;
  }
}
