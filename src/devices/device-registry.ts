/**
 * The one owner of "a device at runtime". Monitoring, scans, validation,
 * write-back, drift, reload and the API ask it for a device's record, its
 * compiled watch set and a transport, instead of each reading profiles and
 * opening connections of its own.
 *
 * Records and watch sets are cached until the store's devices revision
 * moves (every add, change or removal of a device or its profiles moves it,
 * whichever process made it). Transports are shared: every `acquire` of a
 * device returns a lease on one connection, closed when the last lease is;
 * an SSH connection that drops reconnects on its next use. A device whose
 * record changed gets a new connection for new leases, while the old one
 * serves its holders until they let go.
 */
import { ConfwatchError } from '../errors.js';
import type { EventBus, Unsubscribe } from '../events/event-bus.js';
import type { WatchMode } from '../events/event-map.js';
import type { DeviceRecord, ProfileRecord, TrackedFileRecord } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { createTransport } from '../transport/factory.js';
import { SshTransport } from '../transport/ssh/ssh.transport.js';
import type { Transport } from '../transport/transport.js';
import { OwnWrites } from './own-writes.js';
import { compileWatchSet, type WatchSet } from './watch-set.js';

/** A device with what everyone derives from it. */
export interface RegisteredDevice {
  readonly device: DeviceRecord;
  /** Its profiles, in order. */
  readonly profiles: readonly ProfileRecord[];
  /** The profiles compiled (compiled once per devices revision). */
  readonly watchSet: WatchSet;
}

/** What a running monitor in this process last saw of a device, and what the store holds for it. */
export interface DeviceLiveState {
  /** True while a connection of this process to the device is up (a watch session is open). */
  readonly connected: boolean;
  /** The watch mode last published by this process's monitor; null when it does not watch the device. */
  readonly watchMode: WatchMode | null;
  readonly watchModeReason: string | null;
  /** When the device entered `watchMode` (ISO-8601 UTC). */
  readonly watchModeSince: string | null;
  /** When this process last stored a change of the device. */
  readonly lastChangeAt: string | null;
  /** Tracked files that exist (tombstones left out). */
  readonly files: number;
  /** Tracked files drifted from or missing against their baseline. */
  readonly drifted: number;
  /** Tracked files whose latest validation found them invalid. */
  readonly invalid: number;
}

/** Opens a transport for a device; `resolveJump` names the device behind a `jump`. */
export type TransportOpener = (device: DeviceRecord, resolveJump: (name: string) => DeviceRecord) => Promise<Transport>;

export interface DeviceRegistryOptions {
  readonly store: Pick<SnapshotStore, 'getDevice' | 'listDevices' | 'listProfiles' | 'devicesRevision' | 'getDevicePassphrase' | 'listTrackedFiles'>;
  /** Where live state is read from (watch mode, connections, changes). Default: none, so only counts are known. */
  readonly bus?: EventBus;
  /** Connect timeout per attempt. Default: the transport's (10 s). */
  readonly connectTimeoutMs?: number;
  /** How a transport is opened. Default: the transport factory, an SSH device connected at once. */
  readonly openTransport?: TransportOpener;
}

/** One connection shared by the leases on it. */
interface Shared {
  /** The device record it was opened for, serialised. */
  readonly fingerprint: string;
  readonly transport: Promise<Transport>;
  refs: number;
}

interface Live {
  connected: boolean;
  watchMode: WatchMode | null;
  watchModeReason: string | null;
  watchModeSince: string | null;
  lastChangeAt: string | null;
}

const fingerprintOf = (device: DeviceRecord): string => JSON.stringify(device);

export class DeviceRegistry {
  /** The writes confwatch is making on its devices: write-back announces them, capture skips them. */
  readonly ownWrites = new OwnWrites();
  readonly #options: DeviceRegistryOptions;
  /** The devices revision the cache was read at. */
  #revision: number | undefined;
  #cache = new Map<string, Promise<RegisteredDevice | undefined>>();
  readonly #shared = new Map<string, Shared>();
  readonly #live = new Map<string, Live>();
  readonly #unsubscribe: Unsubscribe | undefined;

  constructor(options: DeviceRegistryOptions) {
    this.#options = Object.freeze({ ...options });
    this.#unsubscribe = options.bus?.subscribe((event) => {
      const live = this.#liveOf(event.device);
      switch (event.type) {
        case 'device.connected':
          live.connected = true;
          break;
        case 'device.disconnected':
          live.connected = false;
          break;
        case 'watch.mode':
          if (live.watchMode !== event.mode) live.watchModeSince = event.at;
          live.watchMode = event.mode;
          live.watchModeReason = event.reason;
          break;
        case 'config.changed':
          live.lastChangeAt = event.at;
          break;
        default:
      }
    });
  }

  /** The device, or undefined when the store has none of that name. */
  async find(name: string): Promise<RegisteredDevice | undefined> {
    await this.#sync();
    let entry = this.#cache.get(name);
    if (!entry) {
      entry = this.#load(name);
      this.#cache.set(name, entry);
      entry.catch(() => this.#cache.delete(name));
    }
    return entry;
  }

  /** The device; rejects CW_ERR_NOT_FOUND when the store has none of that name. */
  async get(name: string): Promise<RegisteredDevice> {
    const found = await this.find(name);
    if (!found) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown device "${name}"; see \`confwatch device list\``);
    return found;
  }

  /** Every device, by name. */
  async list(): Promise<RegisteredDevice[]> {
    const devices = await this.#options.store.listDevices();
    const found = await Promise.all(devices.map((d) => this.find(d.name)));
    return found.filter((d): d is RegisteredDevice => d !== undefined);
  }

  /** The device's compiled watch set; rejects CW_ERR_NOT_FOUND for an unknown device. */
  async watchSet(name: string): Promise<WatchSet> {
    return (await this.get(name)).watchSet;
  }

  /**
   * A lease on the device's shared transport, connected (an SSH device's
   * handshake happens here, so an unreachable host rejects now). Its
   * `close()` ends the lease, not the connection, unless it is the last.
   */
  async acquire(name: string): Promise<Transport> {
    const { device } = await this.get(name);
    const fingerprint = fingerprintOf(device);
    let shared = this.#shared.get(device.name);
    if (!shared || shared.fingerprint !== fingerprint) {
      shared = { fingerprint, transport: this.#open(device), refs: 0 };
      const opened = shared;
      this.#shared.set(device.name, opened);
      opened.transport.catch(() => {
        if (this.#shared.get(device.name) === opened) this.#shared.delete(device.name);
      });
    }
    shared.refs++;
    let transport: Transport;
    try {
      transport = await shared.transport;
    } catch (error) {
      shared.refs--;
      throw error;
    }
    return lease(transport, () => this.#release(device.name, shared));
  }

  /** Runs `work` with a lease on the device's transport, released afterwards. */
  async withTransport<T>(name: string, work: (transport: Transport, entry: RegisteredDevice) => Promise<T>): Promise<T> {
    const entry = await this.get(name);
    const transport = await this.acquire(name);
    try {
      return await work(transport, entry);
    } finally {
      await transport.close();
    }
  }

  /** The live state of a device (counts read from the store now). */
  async live(name: string): Promise<DeviceLiveState> {
    const tracked = await this.#options.store.listTrackedFiles(name);
    return { ...this.#liveOf(name), ...countsOf(tracked) };
  }

  /** Stops following the bus and closes every connection still open. */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    const open = [...this.#shared.values()];
    this.#shared.clear();
    await Promise.all(open.map(async (s) => (await s.transport.catch(() => null))?.close().catch(() => undefined)));
  }

  async #release(name: string, shared: Shared): Promise<void> {
    shared.refs--;
    if (shared.refs > 0) return;
    if (this.#shared.get(name) === shared) this.#shared.delete(name);
    await (await shared.transport.catch(() => null))?.close();
  }

  async #sync(): Promise<void> {
    const revision = await this.#options.store.devicesRevision();
    if (revision === this.#revision) return;
    this.#revision = revision;
    this.#cache = new Map();
  }

  async #load(name: string): Promise<RegisteredDevice | undefined> {
    const { store } = this.#options;
    const device = await store.getDevice(name);
    if (!device) return undefined;
    const profiles = await store.listProfiles(name);
    return { device, profiles, watchSet: compileWatchSet(profiles) };
  }

  async #open(device: DeviceRecord): Promise<Transport> {
    if (device.transport === 'ssh' && !device.hostKey) {
      throw new ConfwatchError(
        'CW_ERR_SSH_HOSTKEY_UNKNOWN',
        `no host key pinned for device "${device.name}"; run \`confwatch device trust ${device.name}\` (or pass --host-key)`,
      );
    }
    const jumps = new Map((await this.#options.store.listDevices()).map((d) => [d.name, d]));
    const resolveJump = (name: string): DeviceRecord => {
      const found = jumps.get(name);
      if (!found) throw new ConfwatchError('CW_ERR_NOT_FOUND', `jump device "${name}" of ${device.name} does not exist; add it or change the device`);
      return found;
    };
    const open = this.#options.openTransport ?? ((d, jump) => this.#create(d, jump));
    return open(device, resolveJump);
  }

  async #create(device: DeviceRecord, resolveJump: (name: string) => DeviceRecord): Promise<Transport> {
    const { store, connectTimeoutMs } = this.#options;
    const transport = await createTransport(device, {
      getPassphrase: async (d) => (await store.getDevicePassphrase(d.name)) ?? undefined,
      resolveJump,
      ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
    });
    // connect now, so an unreachable host is a failed acquire rather than a later surprise
    if (transport instanceof SshTransport) {
      await transport.connect().catch(async (error: unknown) => {
        await transport.close();
        throw error;
      });
    }
    return transport;
  }

  #liveOf(name: string): Live {
    let live = this.#live.get(name);
    if (!live) {
      live = { connected: false, watchMode: null, watchModeReason: null, watchModeSince: null, lastChangeAt: null };
      this.#live.set(name, live);
    }
    return live;
  }
}

function countsOf(tracked: readonly TrackedFileRecord[]): Pick<DeviceLiveState, 'files' | 'drifted' | 'invalid'> {
  let files = 0;
  let drifted = 0;
  let invalid = 0;
  for (const file of tracked) {
    if (!file.deleted) files++;
    if (file.syncStatus === 'drifted' || file.syncStatus === 'missing') drifted++;
    if (file.validationStatus === 'invalid') invalid++;
  }
  return { files, drifted, invalid };
}

/** The transport with a `close()` that ends this lease once. */
function lease(transport: Transport, release: () => Promise<void>): Transport {
  let released: Promise<void> | undefined;
  return {
    info: transport.info,
    exec: (command, options) => transport.exec(command, options),
    run: (script, options) => transport.run(script, options),
    stream: (command, options) => transport.stream(command, options),
    readFile: (path, options) => transport.readFile(path, options),
    stat: (path, options) => transport.stat(path, options),
    writeFileAtomic: (path, data, options) => transport.writeFileAtomic(path, data, options),
    close: () => {
      released ??= release();
      return released;
    },
  };
}
