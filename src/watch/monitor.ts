/**
 * Monitors a list of devices: per device a Supervisor whose sessions bind a
 * transport, the compiled WatchSet, a Correlator, the capture service and
 * the scanner. This is what `confwatch watch` and `confwatch serve` run.
 *
 * The parts that open connections and build services are a seam
 * (`MonitorParts`), so the monitor composes them without knowing how each
 * is made; `stop()` ends every stream, so no inotifywait is left on a host.
 */
import { type CaptureRequest, CaptureService, type ObservedFile } from '../detect/capture.js';
import { Correlator } from '../detect/correlator.js';
import type { InotifyEvent } from '../detect/inotify-record.js';
import { inotifyFormatFor } from '../detect/inotify-record.js';
import { DeviceRegistry, type RegisteredDevice } from '../devices/device-registry.js';
import type { EventBus } from '../events/event-bus.js';
import { failureFields, reportFailure } from '../events/failure.js';
import { createLogger, type Logger } from '../logging.js';
import type { DeviceRecord } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { probeCapabilities } from '../transport/probe.js';
import type { RemotePath } from '../transport/remote-path.js';
import type { FileStat, Transport } from '../transport/transport.js';
import { dirsBelow, rootOf } from '../detect/symlink.js';
import type { Backoff } from './backoff.js';
import { InotifyWatcher } from './inotify.watcher.js';
import { Scanner } from './scanner.js';
import { type DeviceSession, pollIntervalMs, Supervisor, type SupervisorState } from './supervisor.js';
import type { WatchSet } from '../devices/watch-set.js';

/** What the parts of one device session are built from. */
export interface SessionContext {
  readonly device: DeviceRecord;
  readonly transport: Transport;
  readonly watchSet: WatchSet;
  readonly correlator: Correlator;
  readonly store: SnapshotStore;
  readonly bus: EventBus;
}

/** The capture service, as the monitor uses it. */
export type CaptureRunner = Pick<CaptureService, 'capture'>;

/** The scanner, as the monitor uses it. */
export type ScanService = Pick<Scanner, 'scan'>;

/** How the monitor builds a device's services (its connection comes from the device registry). */
export interface MonitorParts {
  /** inotifywait's version on the host (probeCapabilities), null when absent. */
  inotifywaitVersion(transport: Transport, device: DeviceRecord): Promise<string | null>;
  createCapture(context: SessionContext): CaptureRunner;
  createScanner(context: SessionContext, capture: CaptureRunner): ScanService;
}

export interface MonitorOptions {
  readonly store: SnapshotStore;
  readonly bus: EventBus;
  readonly parts: MonitorParts;
  /** Devices, watch sets and shared connections. Default: a registry of its own over the store. */
  readonly registry?: DeviceRegistry;
  /** Device names to monitor; default every device in the store. */
  readonly devices?: readonly string[];
  /** Realtime verification scan interval. Default 30 min. */
  readonly verifyIntervalMs?: number;
  /** First wait before retrying realtime after a fallback to polling. Default 10 min, doubling per failure. */
  readonly realtimeRetryMs?: number;
  /** Longest wait between realtime retries. Default 1 h. */
  readonly realtimeRetryCapMs?: number;
  /** The inotifywait program on the hosts. Default `inotifywait` from the PATH. */
  readonly inotifywaitProgram?: string;
  /** Reconnect backoff per device. Default 1 s doubling to 60 s. */
  readonly backoff?: () => Backoff;
  /** Where failed captures and scans are reported. Default: the `watch.monitor` component logger. */
  readonly log?: Logger;
  /**
   * How often the store's devices revision is read, so that devices added,
   * changed or removed by any process (CLI, API) are picked up without a
   * restart (see refresh()). Default 0: the set is fixed at start.
   */
  readonly refreshIntervalMs?: number;
}

/** What one refresh changed, by device name. */
export interface MonitorRefresh {
  readonly started: string[];
  readonly restarted: string[];
  readonly stopped: string[];
}

/** A supervised device and what it was started from. */
interface Supervised {
  readonly supervisor: Supervisor;
  readonly correlator: Correlator;
  /** The device record and profiles it was started with, serialised: a change restarts it. */
  readonly fingerprint: string;
}

const fingerprintOf = ({ device, profiles }: RegisteredDevice): string => JSON.stringify([device, profiles]);

/** A device's current supervision state. */
export interface MonitoredDevice {
  readonly name: string;
  readonly state: SupervisorState;
}

export class Monitor {
  readonly #options: MonitorOptions;
  readonly #registry: DeviceRegistry;
  readonly #supervised = new Map<string, Supervised>();
  /** Refreshes run one at a time; stop() waits for the one in progress. */
  #refreshing: Promise<unknown> = Promise.resolve();
  #revision: number | undefined;
  #refreshTimer: ReturnType<typeof setInterval> | undefined;
  #stopping = false;

  constructor(options: MonitorOptions) {
    this.#options = Object.freeze({ ...options });
    this.#registry = options.registry ?? new DeviceRegistry({ store: options.store });
  }

  /** Loads the devices and starts supervising each; rejects CW_ERR_NOT_FOUND when a named device is unknown. */
  async start(): Promise<void> {
    const { store } = this.#options;
    this.#revision = await store.devicesRevision();
    const devices = this.#options.devices
      ? await Promise.all(this.#options.devices.map((name) => this.#registry.get(name)))
      : await this.#registry.list();
    for (const entry of devices) this.#begin(entry);
    const intervalMs = this.#options.refreshIntervalMs ?? 0;
    if (intervalMs > 0) {
      this.#refreshTimer = setInterval(() => void this.#refreshOnRevision(), intervalMs);
      this.#refreshTimer.unref();
    }
  }

  /**
   * Stops every supervisor (and so every remote watcher), then closes open
   * change sets. The devices stay listed, as `stopped`, so a caller can see
   * how each one ended.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#refreshTimer);
    await this.#refreshing;
    await Promise.all([...this.#supervised.values()].map((supervised) => this.#halt(supervised)));
  }

  devices(): MonitoredDevice[] {
    return [...this.#supervised].map(([name, s]) => ({ name, state: s.supervisor.state }));
  }

  /**
   * Brings the supervised devices in line with the store: a new device is
   * started, a removed one stopped (its remote watcher ends, its connection
   * closes), one whose record or profiles changed is restarted. A monitor
   * over named devices follows only those names.
   */
  refresh(): Promise<MonitorRefresh> {
    const run = this.#refreshing.then(() => this.#refresh());
    this.#refreshing = run.catch(() => {});
    return run;
  }

  /** One tick of the refresh timer: reads the revision, refreshes when it moved. */
  async #refreshOnRevision(): Promise<void> {
    try {
      const revision = await this.#options.store.devicesRevision();
      if (revision === this.#revision || this.#stopping) return;
      await this.refresh();
      this.#revision = revision;
    } catch (error) {
      this.#log().warn({ event: 'monitor.refresh', ...failureFields(error) }, 'device refresh failed; retrying');
    }
  }

  async #refresh(): Promise<MonitorRefresh> {
    const result: MonitorRefresh = { started: [], restarted: [], stopped: [] };
    if (this.#stopping) return result;
    const { devices: named, bus } = this.#options;
    const wanted = (await this.#registry.list()).filter((d) => !named || named.includes(d.device.name));
    for (const name of [...this.#supervised.keys()]) {
      if (wanted.some((d) => d.device.name === name)) continue;
      await this.#end(name);
      bus.publish('device.disconnected', name, { reason: 'the device was removed' });
      result.stopped.push(name);
    }
    for (const entry of wanted) {
      const { name } = entry.device;
      const current = this.#supervised.get(name);
      if (current?.fingerprint === fingerprintOf(entry) || this.#stopping) continue;
      if (current) await this.#end(name);
      (current ? result.restarted : result.started).push(name);
      this.#begin(entry);
    }
    return result;
  }

  #begin(entry: RegisteredDevice): void {
    const { name } = entry.device;
    const correlator = new Correlator({ device: name, store: this.#options.store, bus: this.#options.bus, log: this.#log() });
    const supervisor = this.#supervise(entry, correlator);
    this.#supervised.set(name, { supervisor, correlator, fingerprint: fingerprintOf(entry) });
    supervisor.start();
  }

  async #end(name: string): Promise<void> {
    const supervised = this.#supervised.get(name);
    if (!supervised) return;
    this.#supervised.delete(name);
    await this.#halt(supervised);
  }

  async #halt(supervised: Supervised): Promise<void> {
    await supervised.supervisor.stop();
    await supervised.correlator.flush();
  }

  // a failed capture or scan must never pass unnoticed
  #log(): Logger {
    return this.#options.log ?? createLogger('watch.monitor');
  }

  #supervise({ device, profiles, watchSet }: RegisteredDevice, correlator: Correlator): Supervisor {
    const { bus } = this.#options;
    const log = this.#log();
    return new Supervisor({
      device: device.name,
      mode: device.mode,
      bus,
      pollIntervalMs: pollIntervalMs(device, profiles),
      verifyIntervalMs: this.#options.verifyIntervalMs,
      realtimeRetryMs: this.#options.realtimeRetryMs,
      realtimeRetryCapMs: this.#options.realtimeRetryCapMs,
      backoff: this.#options.backoff?.(),
      connect: () => this.#connect({ device, watchSet, correlator }),
      onError: (error) => reportFailure({ bus, log }, 'capture.failed', device.name, {}, error),
    });
  }

  async #connect(base: Pick<SessionContext, 'device' | 'watchSet' | 'correlator'>): Promise<DeviceSession> {
    const { parts, store, bus } = this.#options;
    const { device, watchSet, correlator } = base;
    const transport = await this.#registry.acquire(device.name);
    try {
      let version = await parts.inotifywaitVersion(transport, device);
      const context: SessionContext = { ...base, transport, store, bus };
      const capture = parts.createCapture(context);
      const scanner = parts.createScanner(context, capture);
      const readAhead = new ReadAhead(transport, watchSet);
      return {
        target: transport.info.target,
        inotifywaitVersion: version,
        probeInotifywait: async () => {
          version = await parts.inotifywaitVersion(transport, device);
          return version;
        },
        // a scan is one piece of work: the change set its stores open does not close between its batches
        scan: async (source, dirs) => {
          await correlator.whileBusy(() => scanner.scan(source, dirs ? { dirs } : undefined));
        },
        capture: async (requests) => {
          await capture.capture(await readAhead.attach(requests), 'realtime');
        },
        createWatcher: (hooks) =>
          new InotifyWatcher({
            device: device.name,
            transport,
            tree: watchSet,
            format: inotifyFormatFor(version),
            sudo: device.sudo,
            program: this.#options.inotifywaitProgram,
            onGitActivity: () => correlator.noteGitActivity(),
            // a burst is stored by one directory scan into one change set: no reads per file meanwhile
            onBurst: (settled) => {
              readAhead.suspendUntil(settled);
              void correlator.whileBusy(() => settled);
            },
            ...hooks,
            onEvent: (event) => {
              readAhead.note(event);
              hooks.onEvent(event);
            },
          }),
        close: async () => {
          readAhead.clear();
          await transport.close();
        },
      };
    } catch (error) {
      await transport.close();
      throw error;
    }
  }
}

export interface DefaultPartsOptions {
  readonly log?: Logger;
}

/** The real parts: probeCapabilities, CaptureService and Scanner. */
export function defaultMonitorParts(options: DefaultPartsOptions = {}): MonitorParts {
  const { log } = options;
  return {
    async inotifywaitVersion(transport) {
      const { inotifywait } = await probeCapabilities(transport);
      // Present with an unreadable version: use the newline format rather than give up on realtime.
      return inotifywait.present ? (inotifywait.version ?? '') : null;
    },
    createCapture: ({ device, watchSet, transport, store, bus, correlator }) =>
      new CaptureService({ device, watchSet, transport, store, bus, correlator, ...(log ? { log } : {}) }),
    createScanner: ({ device, watchSet, transport, store }, capture) =>
      new Scanner({ device, watchSet, transport, store, capture, ...(log ? { log } : {}) }),
  };
}

/** Batches up to this size are read by the monitor (over SFTP) instead of the capture's fetch script. */
const READ_AHEAD_MAX_BATCH = 8;

/**
 * The realtime common case is one or two files. Reading a file over the
 * persistent SFTP channel, with its stat in parallel, costs a few
 * milliseconds where the batch fetch script costs tens, and starting that
 * read as soon as the writer closes the file hides it inside the debounce
 * window. A read is used only when no event for its path arrived after it
 * started, so it saw the final content. Anything unusual (missing,
 * unreadable, too large) is left to the capture service's own fetch, which
 * knows how to record it.
 */
class ReadAhead {
  readonly #transport: Pick<Transport, 'readFile' | 'stat'>;
  readonly #watchSet: Pick<WatchSet, 'maxFileBytes' | 'roots'>;
  readonly #reads = new Map<RemotePath, Promise<ObservedFile | undefined>>();
  /** Bursts in progress: no read ahead while one runs. */
  #suspended = 0;

  constructor(transport: Pick<Transport, 'readFile' | 'stat'>, watchSet: Pick<WatchSet, 'maxFileBytes' | 'roots'>) {
    this.#transport = transport;
    this.#watchSet = watchSet;
  }

  /** Sees every event of a watched path: a finishing event starts a read, any other one voids it. */
  note(event: InotifyEvent): void {
    if (event.isDir || this.#suspended > 0) return;
    if (event.events.some((e) => e === 'close_write' || e === 'moved_to')) {
      const read = this.#read(event.path);
      read.catch(() => {});
      this.#reads.set(event.path, read);
    } else {
      this.#reads.delete(event.path);
    }
  }

  /** The requests with what was read attached (read now for small batches without a read ahead). */
  async attach(requests: readonly CaptureRequest[]): Promise<readonly CaptureRequest[]> {
    const small = requests.length <= READ_AHEAD_MAX_BATCH;
    return await Promise.all(
      requests.map(async (request) => {
        const ahead = this.#reads.get(request.path);
        this.#reads.delete(request.path);
        if (request.kind === 'deleted' || request.observed) return request;
        const observed = await (ahead ?? (small ? this.#read(request.path) : undefined));
        return observed ? { ...request, observed } : request;
      }),
    );
  }

  clear(): void {
    this.#reads.clear();
  }

  /** Drops the reads started so far and starts none until `settled` resolves. */
  suspendUntil(settled: Promise<void>): void {
    this.clear();
    this.#suspended++;
    void settled.finally(() => this.#suspended--);
  }

  async #read(path: RemotePath): Promise<ObservedFile | undefined> {
    try {
      // an event can name a directory since swapped for a link: such a read is dropped, and capture's own fetch
      // (which reads nothing behind a directory link below a root) decides
      const dirs = dirsBelow(rootOf(path, this.#watchSet.roots()) ?? '/', path);
      const [stat, content, ...ancestors] = await Promise.all([
        this.#transport.stat(path),
        this.#transport.readFile(path, { maxBytes: this.#watchSet.maxFileBytes(path) }),
        ...dirs.map((dir) => this.#transport.stat(dir)),
      ]);
      if (ancestors.some((a) => (a as FileStat | null)?.type !== 'directory')) return undefined;
      return stat?.type === 'file' ? { kind: 'content', stat, content } : undefined;
    } catch {
      return undefined;
    }
  }
}
