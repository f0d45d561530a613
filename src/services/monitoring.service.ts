/**
 * Runs the pipeline for the CLI and the server: a one-off scan of a device,
 * or a Monitor over several devices. Both use the same parts (transport,
 * watch set, correlator, capture, scanner), so `scan` stores exactly what
 * monitoring would.
 */
import { Correlator } from '../detect/correlator.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logging.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { defaultMonitorParts, Monitor, type MonitorParts } from '../watch/monitor.js';
import type { ScanResult } from '../watch/scanner.js';

export interface MonitoringOptions {
  /** Realtime verification scan interval. Default 30 min. */
  readonly verifyIntervalMs?: number;
  /** First wait before retrying realtime after a fallback to polling. Default 10 min, doubling per failure up to 1 h. */
  readonly realtimeRetryMs?: number;
  readonly log?: Logger;
}

export class MonitoringService {
  readonly #store: SnapshotStore;
  readonly #bus: EventBus;
  readonly #devices: DeviceRegistry;
  readonly #parts: MonitorParts;
  readonly #options: MonitoringOptions;

  constructor(store: SnapshotStore, bus: EventBus, devices: DeviceRegistry, options: MonitoringOptions = {}) {
    this.#store = store;
    this.#bus = bus;
    this.#devices = devices;
    this.#options = options;
    this.#parts = defaultMonitorParts(options.log ? { log: options.log } : {});
  }

  /** One full reconcile scan of a device now; waits for its change set to close. */
  async scan(name: string): Promise<ScanResult & { device: string }> {
    const { device, watchSet } = await this.#devices.get(name);
    const transport = await this.#devices.acquire(device.name);
    const correlator = new Correlator({ device: device.name, store: this.#store, bus: this.#bus, quietGapMs: 0 });
    try {
      const context = { device, transport, watchSet, correlator, store: this.#store, bus: this.#bus, ownWrites: this.#devices.ownWrites };
      const capture = this.#parts.createCapture(context);
      const result = await this.#parts.createScanner(context, capture).scan('rescan');
      return { device: device.name, ...result };
    } finally {
      await correlator.flush();
      await transport.close();
    }
  }

  /**
   * A monitor over the named devices (default: all). Call start() and stop().
   * With `refreshIntervalMs`, device changes made by any process are picked
   * up that often (see Monitor.refresh).
   */
  monitor(devices?: readonly string[], options: { readonly refreshIntervalMs?: number } = {}): Monitor {
    return new Monitor({
      store: this.#store,
      bus: this.#bus,
      parts: this.#parts,
      registry: this.#devices,
      ...(devices && devices.length > 0 ? { devices } : {}),
      ...(this.#options.verifyIntervalMs ? { verifyIntervalMs: this.#options.verifyIntervalMs } : {}),
      ...(this.#options.realtimeRetryMs ? { realtimeRetryMs: this.#options.realtimeRetryMs } : {}),
      ...(this.#options.log ? { log: this.#options.log } : {}),
      ...(options.refreshIntervalMs ? { refreshIntervalMs: options.refreshIntervalMs } : {}),
    });
  }
}
