/**
 * Waiting on a running Monitor in integration tests: polling until a
 * condition holds (bench/helpers/wait.ts), collecting the events of a bus, and a short
 * reconnect backoff.
 */
import type { EventBus } from '../../src/events/event-bus.js';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { Backoff } from '../../src/watch/backoff.js';
import { defaultMonitorParts, Monitor } from '../../src/watch/monitor.js';
import { until } from '../../bench/helpers/wait.js';
import { type Endpoint, openTempStore, watching } from './store.js';

export { sleep, until } from '../../bench/helpers/wait.js';

/** Every event published on `bus` from now on, in order, in an array the caller may read or clear. */
export function recordEvents(bus: EventBus): ConfwatchEvent[] {
  const events: ConfwatchEvent[] = [];
  bus.subscribe((e) => events.push(e));
  return events;
}

/** A reconnect backoff of 200 ms up to 1 s, so that tests see reconnects within seconds. */
export const shortBackoff = () => new Backoff({ baseMs: 200, capMs: 1_000 });

export interface RealtimeMonitor {
  readonly store: KyselyStore;
  /** Every event since the monitor started (see recordEvents). */
  readonly events: ConfwatchEvent[];
  /** Stops the monitor, closes the store and removes its home. */
  close(): Promise<void>;
}

/**
 * A temp store with one realtime device on `endpoint` watching `glob`, and a
 * Monitor over it; resolves once the device is in realtime mode.
 */
export async function startRealtimeMonitor(device: string, endpoint: Endpoint, glob: string, timeoutMs: number): Promise<RealtimeMonitor> {
  const temp = await openTempStore(`cw-${device}-home-`);
  const bus = new MemoryEventBus();
  const events = recordEvents(bus);
  let monitor: Monitor | undefined;
  const close = async () => {
    await monitor?.stop();
    await temp.close();
  };
  try {
    await temp.store.addDevice({ name: device, ...endpoint, mode: 'realtime', pollIntervalSec: null, sudo: false, jump: null, tags: [] }, watching(device, glob));
    monitor = new Monitor({ store: temp.store, bus, parts: defaultMonitorParts(), devices: [device] });
    await monitor.start();
    await until(() => events.some((e) => e.type === 'watch.mode' && e.mode === 'realtime'), 'realtime mode', timeoutMs, 50);
  } catch (error) {
    await close();
    throw error;
  }
  return { store: temp.store, events, close };
}
