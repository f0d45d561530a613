/**
 * A counting semaphore: at most `limit` holders at once, the rest wait in
 * arrival order. Used for SSH channels per connection (OpenSSH refuses more
 * than MaxSessions) and for concurrent handshakes across all hosts.
 */
export class Semaphore {
  readonly #limit: number;
  #held = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('semaphore limit must be a positive integer');
    this.#limit = limit;
  }

  /** Waits for a slot; the returned function releases it (calling it twice is harmless). */
  async acquire(): Promise<() => void> {
    if (this.#held < this.#limit) this.#held++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // hand the slot straight to the next waiter, so #held stays unchanged
      if (next) next();
      else this.#held--;
    };
  }

  /** Runs `task` while holding a slot. */
  async use<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** Slots currently held. */
  get held(): number {
    return this.#held;
  }
}
