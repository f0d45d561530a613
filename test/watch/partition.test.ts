/**
 * A network partition between confwatch and a watched host (SPEC §8): the
 * host is a network namespace with its own sshd, the link is cut while
 * files keep changing there, then healed. Unlike a killed session, sshd on
 * the host never learns the client is gone, so the old session's
 * inotifywait stays alive until the new watcher stops it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import type { DeviceRecord } from '../../src/store/records.js';
import { SshTransport } from '../../src/transport/ssh/ssh.transport.js';
import { defaultMonitorParts, Monitor } from '../../src/watch/monitor.js';
import { DeviceRegistry } from '../../src/devices/device-registry.js';
import { recordEvents, shortBackoff, sleep, until as waitUntil } from '../helpers/monitor.js';
import { describeWithNetns, type NetnsHost, startNetnsHost } from '../helpers/netns.js';
import { openTempStore, sshDevice, type TempStore, watching } from '../helpers/store.js';

const FILES = 20;
const KEEPALIVE_MS = 500;

/** Noticing a cut link and reconnecting take longer than the helper's default wait. */
const until: typeof waitUntil = (probe, what, timeoutMs = 30_000, intervalMs) => waitUntil(probe, what, timeoutMs, intervalMs);

/** Instance ids of the device's inotifywait processes on the host (the namespace shares the process table). */
function watcherInstances(device: string): Set<string> {
  let lines = '';
  try {
    lines = execFileSync('pgrep', ['-af', `[c]onfwatch-watch:${device}:`], { encoding: 'utf8' });
  } catch {
    // pgrep exits 1 when nothing matches
  }
  const marker = new RegExp(`confwatch-watch:${device}:(\\S+)`);
  return new Set(
    lines
      .split('\n')
      .filter((line) => line.includes('inotifywait'))
      .flatMap((line) => marker.exec(line)?.[1] ?? []),
  );
}

/**
 * The real registry, but with a short SSH keepalive: the default 15 s × 3
 * would take most of a minute to notice that the link is gone.
 */
function registryWithShortKeepalive(store: KyselyStore): DeviceRegistry {
  return new DeviceRegistry({
    store,
    async openTransport(device: DeviceRecord) {
      const transport = new SshTransport({
        host: device.host,
        port: device.port,
        user: device.user,
        identityFile: device.identityFile,
        hostKey: { pinned: device.hostKey },
        keepaliveIntervalMs: KEEPALIVE_MS,
        connectTimeoutMs: 3_000,
      });
      await transport.connect().catch(async (error: unknown) => {
        await transport.close();
        throw error;
      });
      return transport;
    },
  });
}

describeWithNetns('Monitor across a network partition (network namespace, real sshd, SQLite)', () => {
  let host: NetnsHost;
  let temp: TempStore;
  let dir: string;
  let store: KyselyStore;
  let events: ConfwatchEvent[];
  let monitor: Monitor | undefined;
  const device = `part${process.pid}`;

  beforeAll(async () => {
    host = await startNetnsHost();
  });
  afterAll(async () => {
    await host?.destroy();
  });

  beforeEach(async () => {
    temp = await openTempStore('cw-part-home-');
    store = temp.store;
    dir = mkdtempSync(join(tmpdir(), 'cw-part-data-'));
    events = [];
  });
  afterEach(async () => {
    host?.heal();
    await monitor?.stop();
    monitor = undefined;
    await temp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const contentOf = async (path: string): Promise<string | null | undefined> => {
    const latest = await store.latestSnapshot(device, path);
    if (!latest) return undefined;
    if (latest.contentHash === null) return null;
    return (await store.readContent(latest)).toString('utf8');
  };

  const eventIndex = (predicate: (e: ConfwatchEvent) => boolean, after = -1) =>
    events.findIndex((e, i) => i > after && predicate(e));

  it('records every edit made during the partition after it heals, and stops the stale watcher', async () => {
    // the namespace's sshd listens on host.address
    await store.addDevice(sshDevice(device, host.sshd), watching(device, `${dir}/**/*.conf`));
    const bus = new MemoryEventBus();
    events = recordEvents(bus);
    monitor = new Monitor({
      store,
      bus,
      parts: defaultMonitorParts(),
      registry: registryWithShortKeepalive(store),
      devices: [device],
      backoff: shortBackoff,
    });
    await monitor.start();
    await until(() => eventIndex((e) => e.type === 'watch.mode' && e.mode === 'realtime') >= 0, 'realtime');

    const files = Array.from({ length: FILES }, (_, i) => join(dir, `site${i}.conf`));
    const final = new Map<string, string>();
    const edit = (round: number) => {
      for (const [i, file] of files.entries()) {
        if ((i + round) % 2 !== 0) continue;
        const content = `server { listen ${8000 + i}; # round ${round} }\n`;
        writeFileSync(file, content);
        final.set(file, content);
      }
    };
    edit(0);
    edit(1);
    for (const [file, content] of final) await until(async () => (await contentOf(file)) === content, `${file} before the partition`);
    const before = watcherInstances(device);
    expect(before.size).toBe(1);

    host.partition();
    let round = 2;
    await until(() => {
      edit(round++);
      return eventIndex((e) => e.type === 'device.disconnected') >= 0;
    }, 'the cut link to be noticed');
    for (const stop = round + 10; round < stop; round++) {
      edit(round);
      await sleep(50);
    }
    // sshd on the host cannot tell the link is gone: the old watcher is still running.
    expect(watcherInstances(device)).toEqual(before);
    const disconnected = eventIndex((e) => e.type === 'device.disconnected');

    host.heal();
    const connected = await until(() => {
      const i = eventIndex((e) => e.type === 'device.connected', disconnected);
      return i >= 0 ? i : undefined;
    }, 'reconnect');
    await until(() => eventIndex((e) => e.type === 'watch.mode' && e.mode === 'realtime', connected) >= 0, 'realtime again');

    for (const [file, content] of final) {
      await until(async () => (await contentOf(file)) === content, `${file} to be stored as its final content`);
      const latest = await store.latestSnapshot(device, file);
      expect(['rescan', 'realtime']).toContain(latest?.source);
    }
    expect(events.some((e, i) => i > disconnected && e.type === 'config.changed' && e.source === 'rescan')).toBe(true);

    const after = await until(() => {
      const running = watcherInstances(device);
      return [...running].every((id) => !before.has(id)) && running.size > 0 ? running : undefined;
    }, 'only the new watcher to run on the host');
    expect(after.size).toBe(1);
  });
});
