/**
 * Waiting on a running Monitor in integration tests and benchmarks: polling
 * until a condition holds, collecting the events of a bus, and a short
 * reconnect backoff.
 */
import type { EventBus } from '../../src/events/event-bus.js';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { Backoff } from '../../src/watch/backoff.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Calls `probe` every `intervalMs` until it returns something other than
 * `undefined` or `false`, and resolves with that; rejects with
 * "timed out waiting for <what>" after `timeoutMs`.
 */
export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Every event published on `bus` from now on, in order, in an array the caller may read or clear. */
export function recordEvents(bus: EventBus): ConfwatchEvent[] {
  const events: ConfwatchEvent[] = [];
  bus.subscribe((e) => events.push(e));
  return events;
}

/** A reconnect backoff of 200 ms up to 1 s, so that tests see reconnects within seconds. */
export const shortBackoff = () => new Backoff({ baseMs: 200, capMs: 1_000 });
