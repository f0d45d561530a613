/**
 * Stopping a Monitor of several realtime SSH devices (one real sshd, a real
 * inotifywait per device, a real SQLite store), as Ctrl-C on `confwatch
 * watch` or `serve` does: what was captured before the stop is in the
 * store, nothing is half-written, and no inotifywait started for these
 * devices is left running on the host.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import { defaultMonitorParts, Monitor } from '../../src/watch/monitor.js';
import { recordEvents, shortBackoff, until } from '../helpers/monitor.js';
import { describeWithSshd, type RunningSshd, startSshd } from '../helpers/sshd.js';
import { openTempStore, sshDevice, type TempStore, watching } from '../helpers/store.js';

const DEVICES = 4;

/** inotifywait processes whose command line carries the watcher marker of a device with this prefix. */
const watchersOf = (prefix: string): string => {
  try {
    return execFileSync('pgrep', ['-af', `[c]onfwatch-watch:${prefix}`], { encoding: 'utf8' }).trim();
  } catch {
    return ''; // pgrep exits 1 when nothing matches
  }
};

describeWithSshd('stopping a Monitor of several SSH devices', () => {
  let sshd: RunningSshd;
  let temp: TempStore;
  const dirs = new Map<string, string>();
  // unique per run, so that the marker matches only this test's watchers
  const prefix = `stop${process.pid}d`;

  beforeAll(async () => {
    sshd = await startSshd();
    temp = await openTempStore('cw-stop-home-');
    for (let i = 0; i < DEVICES; i++) {
      const device = `${prefix}${i}`;
      const dir = mkdtempSync(join(tmpdir(), 'cw-stop-data-'));
      dirs.set(device, dir);
      await temp.store.addDevice(sshDevice(device, sshd), watching(device, `${dir}/**/*.conf`));
    }
  });
  afterAll(async () => {
    await temp?.close();
    await sshd?.stop();
    for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the changes captured before stop, writes nothing half-way and leaves no inotifywait behind', async () => {
    const { store } = temp;
    const bus = new MemoryEventBus();
    const events: ConfwatchEvent[] = recordEvents(bus);
    const monitor = new Monitor({ store, bus, parts: defaultMonitorParts(), backoff: shortBackoff });
    const devices = [...dirs.keys()];
    try {
      await monitor.start();
      await until(
        () => devices.every((d) => events.some((e) => e.type === 'watch.mode' && e.device === d && e.mode === 'realtime')),
        'every device to be realtime',
        // four handshakes and sudo-less probes against one sshd: slow on a loaded machine, not wrong
        45_000,
      );
      expect(watchersOf(prefix).split('\n')).toHaveLength(DEVICES);

      for (const [device, dir] of dirs) writeFileSync(join(dir, 'app.conf'), `# captured on ${device}\n`);
      await until(
        () => devices.every((d) => events.some((e) => e.type === 'config.changed' && e.device === d && e.path === join(dirs.get(d) as string, 'app.conf'))),
        'the change on every device to be captured',
      );
      // changed just before the stop: recorded whole or not at all
      for (const [device, dir] of dirs) writeFileSync(join(dir, 'late.conf'), `# late on ${device}\n`);
    } finally {
      await monitor.stop();
    }

    // closing stdin ends the remote wrapper; a stop cut short by its grace leaves that to the host's sshd
    await until(() => watchersOf(prefix) === '', 'no inotifywait of these devices on the host', 5_000);
    for (const [device, dir] of dirs) {
      const captured = await store.latestSnapshot(device, join(dir, 'app.conf'));
      expect(captured, device).toBeDefined();
      expect((await store.readContent(captured as NonNullable<typeof captured>)).toString('utf8')).toBe(`# captured on ${device}\n`);
      const late = await store.latestSnapshot(device, join(dir, 'late.conf'));
      if (late) expect((await store.readContent(late)).toString('utf8')).toBe(`# late on ${device}\n`);
    }
    expect(monitor.devices().map((d) => d.state)).toEqual(devices.map(() => 'stopped'));
  });
});
