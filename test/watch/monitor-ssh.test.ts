/**
 * The whole realtime pipeline against a real sshd, a real inotifywait and a
 * real SQLite store: Monitor → Supervisor → InotifyWatcher / Scanner →
 * CaptureService → store, with events on an in-process bus.
 */
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { defaultMonitorParts, Monitor } from '../../src/watch/monitor.js';
import { recordEvents, shortBackoff, sleep, until } from '../helpers/monitor.js';
import { describeWithSshd, type RunningSshd, startSshd } from '../helpers/sshd.js';
import { openTempStore, sshDevice, type TempStore, watching } from '../helpers/store.js';

const markerProcesses = (device: string): string => {
  try {
    return execFileSync('pgrep', ['-af', `[c]onfwatch-watch:${device}:`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

describeWithSshd('Monitor over SSH with inotifywait and SQLite', () => {
  let sshd: RunningSshd;
  let temp: TempStore;
  let dir: string;
  let store: KyselyStore;
  let bus: MemoryEventBus;
  let events: ConfwatchEvent[];
  let monitor: Monitor | undefined;
  let device: string;
  let counter = 0;

  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  beforeEach(async () => {
    temp = await openTempStore('cw-mon-home-');
    store = temp.store;
    dir = mkdtempSync(join(tmpdir(), 'cw-mon-data-'));
    bus = new MemoryEventBus();
    events = recordEvents(bus);
    device = `mon${process.pid}x${++counter}`;
    await store.addDevice(sshDevice(device, sshd, { mode: 'auto', pollIntervalSec: 5 }), watching(device, `${dir}/**/*.conf`));
  });

  afterEach(async () => {
    await monitor?.stop();
    monitor = undefined;
    await temp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const startMonitor = async (
    options: { inotifywaitProgram?: string; realtimeRetryMs?: number; realtimeRetryCapMs?: number } = {},
  ) => {
    monitor = new Monitor({
      store,
      bus,
      parts: defaultMonitorParts(),
      devices: [device],
      backoff: shortBackoff,
      ...options,
    });
    await monitor.start();
    return await until(() => events.find((e) => e.type === 'watch.mode' && e.mode !== 'degraded'), 'a watch mode');
  };

  const contentOf = async (path: string): Promise<string | null | undefined> => {
    const latest = await store.latestSnapshot(device, path);
    if (!latest) return undefined;
    if (latest.contentHash === null) return null;
    return (await store.readContent(latest)).toString('utf8');
  };

  const settledTo = (path: string, content: string | null) =>
    until(async () => (await contentOf(path)) === content, `${path} to be stored as ${JSON.stringify(content)}`);

  it('records plain edits, saves by rename, sed -i, delete and re-create as realtime changes', async () => {
    const mode = await startMonitor();
    expect(mode).toMatchObject({ type: 'watch.mode', mode: 'realtime' });
    const file = join(dir, 'site.conf');

    writeFileSync(file, 'server { listen 80; }\n');
    await settledTo(file, 'server { listen 80; }\n');

    writeFileSync(join(dir, '.site.conf.swp'), 'server { listen 81; }\n');
    renameSync(join(dir, '.site.conf.swp'), file);
    await settledTo(file, 'server { listen 81; }\n');

    execFileSync('sed', ['-i', 's/81/82/', file]);
    await settledTo(file, 'server { listen 82; }\n');

    rmSync(file);
    await settledTo(file, null);
    writeFileSync(file, 'server { listen 83; }\n');
    await settledTo(file, 'server { listen 83; }\n');

    const history = await store.history(device, file);
    expect(history.items.map((s) => s.changeType)).toEqual(['created', 'deleted', 'modified', 'modified', 'created']);
    expect(new Set(history.items.map((s) => s.source))).toEqual(new Set(['realtime']));
    const changed = events.filter((e) => e.type === 'config.changed');
    expect(changed).toHaveLength(5);
  });

  it('picks up a directory created with files already in it', async () => {
    await startMonitor();
    const staging = mkdtempSync(join(tmpdir(), 'cw-mon-stage-'));
    mkdirSync(join(staging, 'app', 'nested'), { recursive: true });
    writeFileSync(join(staging, 'app', 'a.conf'), 'a\n');
    writeFileSync(join(staging, 'app', 'nested', 'b.conf'), 'b\n');
    execSync(`mv ${JSON.stringify(join(staging, 'app'))} ${JSON.stringify(join(dir, 'app'))}`);
    mkdirSync(join(dir, 'made', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'made', 'deep', 'c.conf'), 'c\n');
    rmSync(staging, { recursive: true, force: true });
    await settledTo(join(dir, 'app', 'a.conf'), 'a\n');
    await settledTo(join(dir, 'app', 'nested', 'b.conf'), 'b\n');
    await settledTo(join(dir, 'made', 'deep', 'c.conf'), 'c\n');
  });

  it('loses nothing when the SSH session is killed while 50 files keep changing', async () => {
    await startMonitor();
    const files = Array.from({ length: 50 }, (_, i) => join(dir, `f${i}.conf`));
    const final = new Map<string, string>();
    for (let round = 0; round < 30; round++) {
      for (const [i, f] of files.entries()) {
        if ((i + round) % 3 !== 0) continue;
        const content = `round ${round} file ${i}\n`;
        writeFileSync(f, content);
        final.set(f, content);
      }
      if (round === 10) sshd.killSessions();
      await sleep(50);
    }
    expect(events.some((e) => e.type === 'device.disconnected')).toBe(true);
    for (const [f, content] of final) await settledTo(f, content);
    await until(() => events.filter((e) => e.type === 'watch.mode').at(-1)?.mode === 'realtime', 'realtime again');
    expect(events.filter((e) => e.type === 'device.connected')).toHaveLength(2);
  });

  it('switches to polling, says why and still records changes when inotifywait hits the watch limit', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'cw-mon-bin-'));
    const wrapper = join(bin, 'inotifywait');
    writeFileSync(
      wrapper,
      "#!/bin/sh\necho 'Failed to watch /x; upper limit on inotify watches reached!' >&2\necho 'Please increase the amount of inotify watches allowed per user via `/proc/sys/fs/inotify/max_user_watches`.' >&2\nexit 1\n",
      { mode: 0o755 },
    );
    try {
      const mode = await startMonitor({ inotifywaitProgram: wrapper });
      expect(mode).toMatchObject({ mode: 'polling', reason: expect.stringContaining('upper limit on inotify watches') });
      const file = join(dir, 'polled.conf');
      writeFileSync(file, 'polled\n');
      await settledTo(file, 'polled\n');
      const latest = await store.latestSnapshot(device, file);
      expect(latest?.source).toBe('poll');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  /** Puts a program in place in one step, so a start never runs a half-written script. */
  const install = (path: string, script: string) => {
    writeFileSync(`${path}.new`, script, { mode: 0o755 });
    renameSync(`${path}.new`, path);
  };
  const limitScript = "#!/bin/sh\necho 'Failed to watch /x; upper limit on inotify watches reached!' >&2\nexit 1\n";

  it.each([
    { fixed: 'the watch limit is raised', before: limitScript, reason: 'upper limit on inotify watches' },
    { fixed: 'inotifywait is installed', before: null, reason: 'inotifywait not installed on host' },
  ])('goes back to realtime by itself once $fixed, losing no change made while polling', async ({ before, reason }) => {
    const bin = mkdtempSync(join(tmpdir(), 'cw-mon-bin-'));
    const program = join(bin, 'inotifywait');
    if (before !== null) install(program, before);
    const real = execFileSync('sh', ['-c', 'command -v inotifywait'], { encoding: 'utf8' }).trim();
    try {
      const mode = await startMonitor({ inotifywaitProgram: program, realtimeRetryMs: 200, realtimeRetryCapMs: 1_000 });
      expect(mode).toMatchObject({ mode: 'polling', reason: expect.stringContaining(reason) });

      const polled = join(dir, 'polled.conf');
      writeFileSync(polled, 'polled\n');
      await settledTo(polled, 'polled\n');
      expect((await store.latestSnapshot(device, polled))?.source).toBe('poll');

      // written while still polling, right before realtime can work again: the poll or the handover's reconcile records it
      const handover = join(dir, 'handover.conf');
      writeFileSync(handover, 'handover\n');
      install(program, `#!/bin/sh\nexec ${real} "$@"\n`);
      const restored = await until(
        () => events.find((e) => e.type === 'watch.mode' && e.mode === 'realtime'),
        'realtime to be restored',
      );
      expect(restored).toMatchObject({ reason: expect.stringMatching(new RegExp(`^realtime restored after .*${reason}`)) });
      await settledTo(handover, 'handover\n');

      const live = join(dir, 'live.conf');
      writeFileSync(live, 'live\n');
      await settledTo(live, 'live\n');
      expect((await store.latestSnapshot(device, live))?.source).toBe('realtime');
      writeFileSync(polled, 'edited in realtime\n');
      await settledTo(polled, 'edited in realtime\n');
      expect((await store.latestSnapshot(device, polled))?.source).toBe('realtime');

      const modes = events.filter((e) => e.type === 'watch.mode').map((e) => (e.type === 'watch.mode' ? e.mode : ''));
      expect(modes).toEqual(['polling', 'realtime']);
      expect(markerProcesses(device)).toMatch(/inotifywait/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('leaves no inotifywait on the host after stop', async () => {
    await startMonitor();
    expect(markerProcesses(device)).toMatch(/inotifywait/);
    await monitor?.stop();
    monitor = undefined;
    await until(() => markerProcesses(device) === '', 'the remote inotifywait to exit', 5_000);
  });
});
