import { describe, expect, it } from 'vitest';
import { MemoryEventBus } from '../events/memory.bus.js';
import type { DeviceRecord, ProfileRecord } from '../store/records.js';
import type { Transport } from '../transport/transport.js';
import { DeviceRegistry, type DeviceRegistryOptions } from './device-registry.js';
import { resolveProfiles } from './profiles.js';

const device = (name: string, patch: Partial<DeviceRecord> = {}): DeviceRecord => ({
  name,
  transport: 'local',
  host: 'localhost',
  port: 22,
  user: 'root',
  identityFile: null,
  hasPassphrase: false,
  hostKey: null,
  mode: 'auto',
  pollIntervalSec: null,
  sudo: false,
  jump: null,
  tags: [],
  pathMappings: [],
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  ...patch,
});

/** A store of devices whose revision moves on every change, counting profile reads. */
function fakeStore(initial: DeviceRecord[]) {
  const devices = new Map(initial.map((d) => [d.name, d]));
  const profiles = new Map<string, ProfileRecord[]>(initial.map((d) => [d.name, resolveProfiles(d.name, { profiles: [], watch: ['/etc/app/**'], exclude: [] })]));
  let revision = 1;
  let profileReads = 0;
  const store: DeviceRegistryOptions['store'] = {
    getDevice: async (name) => devices.get(name),
    listDevices: async () => [...devices.values()],
    listProfiles: async (name) => {
      profileReads++;
      return profiles.get(name) ?? [];
    },
    devicesRevision: async () => revision,
    getDevicePassphrase: async () => null,
    listTrackedFiles: async () => [],
  };
  return {
    store,
    profileReads: () => profileReads,
    change(name: string, patch: Partial<DeviceRecord>, globs?: string[]) {
      devices.set(name, { ...devices.get(name)!, ...patch });
      if (globs) profiles.set(name, resolveProfiles(name, { profiles: [], watch: globs, exclude: [] }));
      revision++;
    },
  };
}

/** Transports that count how often they were opened and closed. */
function fakeOpener() {
  const opened: { device: string; closed: number }[] = [];
  const openTransport = async (d: DeviceRecord): Promise<Transport> => {
    const entry = { device: d.name, closed: 0 };
    opened.push(entry);
    const refuse = () => Promise.reject(new Error('not used'));
    return {
      info: { kind: 'local', target: 'local' },
      exec: refuse,
      run: refuse,
      stream: () => {
        throw new Error('not used');
      },
      readFile: refuse,
      stat: refuse,
      writeFileAtomic: refuse,
      close: async () => {
        entry.closed++;
      },
    };
  };
  return { opened, openTransport };
}

describe('DeviceRegistry', () => {
  it('hands out leases on one connection per device and closes it with the last lease', async () => {
    const { store } = fakeStore([device('a'), device('b')]);
    const { opened, openTransport } = fakeOpener();
    const registry = new DeviceRegistry({ store, openTransport });
    const [first, second, other] = await Promise.all([registry.acquire('a'), registry.acquire('a'), registry.acquire('b')]);
    expect(opened.map((o) => o.device)).toEqual(['a', 'b']);
    await first!.close();
    await first!.close(); // a lease ends once
    expect(opened[0]!.closed).toBe(0);
    await second!.close();
    expect(opened[0]!.closed).toBe(1);
    const again = await registry.acquire('a');
    expect(opened.map((o) => o.device)).toEqual(['a', 'b', 'a']);
    await Promise.all([again.close(), other!.close()]);
    expect(opened.map((o) => o.closed)).toEqual([1, 1, 1]);
  });

  it('compiles a watch set once per devices revision, and gives a changed device a new connection', async () => {
    const fake = fakeStore([device('a')]);
    const { opened, openTransport } = fakeOpener();
    const registry = new DeviceRegistry({ store: fake.store, openTransport });
    const held = await registry.acquire('a');
    expect((await registry.watchSet('a')).match('/etc/app/x.conf')).not.toBeNull();
    await registry.watchSet('a');
    expect(fake.profileReads()).toBe(1);

    fake.change('a', { sudo: true }, ['/srv/app/**']);
    const watchSet = await registry.watchSet('a');
    expect(watchSet.match('/etc/app/x.conf')).toBeNull();
    expect(watchSet.match('/srv/app/x.conf')).not.toBeNull();
    expect(fake.profileReads()).toBe(2);
    const fresh = await registry.acquire('a');
    expect(opened).toHaveLength(2);
    // the old connection serves its holder until it lets go
    expect(opened[0]!.closed).toBe(0);
    await held.close();
    expect(opened[0]!.closed).toBe(1);
    await fresh.close();
  });

  it('refuses an unknown device and an SSH device without a pinned key', async () => {
    const { store } = fakeStore([device('s', { transport: 'ssh', host: '127.0.0.1' })]);
    const registry = new DeviceRegistry({ store });
    await expect(registry.acquire('nope')).rejects.toMatchObject({ code: 'CW_ERR_NOT_FOUND' });
    await expect(registry.acquire('s')).rejects.toMatchObject({ code: 'CW_ERR_SSH_HOSTKEY_UNKNOWN' });
  });

  it('keeps the live state its monitor publishes: connection, watch mode since when, last change', async () => {
    const { store } = fakeStore([device('a')]);
    const bus = new MemoryEventBus();
    const registry = new DeviceRegistry({ store, bus });
    expect(await registry.live('a')).toMatchObject({ connected: false, watchMode: null, lastChangeAt: null, files: 0 });
    bus.publish('device.connected', 'a', { target: 'local' });
    const polling = bus.publish('watch.mode', 'a', { mode: 'polling', reason: 'inotifywait is not installed' });
    bus.publish('watch.mode', 'a', { mode: 'polling', reason: 'still polling' });
    expect(await registry.live('a')).toMatchObject({ connected: true, watchMode: 'polling', watchModeReason: 'still polling', watchModeSince: polling.at });
    bus.publish('device.disconnected', 'a', { reason: 'link lost' });
    expect((await registry.live('a')).connected).toBe(false);
    await registry.close();
  });
});
