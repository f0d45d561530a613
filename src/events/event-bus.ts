/**
 * The event seam. The in-process bus (memory.bus.ts) is the embedded
 * default; a NATS JetStream bus can replace it without touching publishers
 * or subscribers.
 */
import type { ConfwatchEvent, EventMap, EventType } from './event-map.js';

export type Unsubscribe = () => void;

export interface EventBus {
  /** Publishes an event; assigns `id` and `at`. Never throws because of a subscriber. */
  publish<K extends EventType>(type: K, device: string, payload: EventMap[K]): ConfwatchEvent<K>;

  /** Calls `listener` for every event published after this call. */
  subscribe(listener: (event: ConfwatchEvent) => void): Unsubscribe;

  /** Events with id > afterId still held in the replay buffer, oldest first. */
  replay(afterId: number): ConfwatchEvent[];

  /** The id of the last event published (0 before the first). */
  readonly lastId: number;
}
