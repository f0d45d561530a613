/**
 * In-process EventBus with a bounded replay ring (default 10,000 events).
 * Listeners run synchronously; one that throws is logged and kept.
 */
import type { EventBus, Unsubscribe } from './event-bus.js';
import type { ConfwatchEvent, EventMap, EventType } from './event-map.js';

export interface MemoryBusOptions {
  /** Events kept for replay. Default 10,000. */
  readonly replaySize?: number;
  /** Called when a listener throws. Default: ignore. */
  readonly onListenerError?: (error: unknown) => void;
}

export class MemoryEventBus implements EventBus {
  #lastId = 0;
  readonly #listeners = new Set<(event: ConfwatchEvent) => void>();
  readonly #ring: ConfwatchEvent[] = [];
  readonly #options: Required<MemoryBusOptions>;

  constructor(options: MemoryBusOptions = {}) {
    this.#options = Object.freeze({ replaySize: 10_000, onListenerError: () => {}, ...options });
  }

  get lastId(): number {
    return this.#lastId;
  }

  publish<K extends EventType>(type: K, device: string, payload: EventMap[K]): ConfwatchEvent<K> {
    const event = { type, id: ++this.#lastId, device, at: new Date().toISOString(), ...payload } as ConfwatchEvent<K>;
    this.#ring.push(event as ConfwatchEvent);
    if (this.#ring.length > this.#options.replaySize) this.#ring.shift();
    for (const listener of this.#listeners) {
      try {
        listener(event as ConfwatchEvent);
      } catch (error) {
        this.#options.onListenerError(error);
      }
    }
    return event;
  }

  subscribe(listener: (event: ConfwatchEvent) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  replay(afterId: number): ConfwatchEvent[] {
    return this.#ring.filter((e) => e.id > afterId);
  }
}
