/**
 * Realtime monitoring with `--sudo` against a real sshd, real sudo and a
 * real inotifywait: a login user with a NOPASSWD entry has root-only files
 * captured as they change; a user sudo refuses gets the device degraded at
 * once with sudo's verdict, not after stream failures or a detour through
 * polling. Creates throwaway Unix users, so it needs root.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { inotifyFormatFor } from '../../src/detect/inotify-record.js';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { probeCapabilities } from '../../src/transport/probe.js';
import { sh } from '../../src/transport/quote.js';
import { InotifyWatcher } from '../../src/watch/inotify.watcher.js';
import { defaultMonitorParts, Monitor } from '../../src/watch/monitor.js';
import { compileWatchSet } from '../../src/devices/watch-set.js';
import { commandExists, describeUnless } from '../helpers/components.js';
import { recordEvents, shortBackoff, until } from '../helpers/monitor.js';
import { openTempStore, sshDevice, type TempStore, watching } from '../helpers/store.js';
import { NOPASSWD_SH, type SudoHost, startSudoHost, sudoProblem, type TestUser } from '../helpers/sudo-users.js';

const problem = sudoProblem() ?? (commandExists('inotifywait') ? null : 'inotifywait is not installed (apt-get install inotify-tools)');

/**
 * Admits the persistent shell's sudo command line (its script starts with
 * `: > "$1"`) and nothing else: sudo's own precheck before a streamed
 * command (`sh -c :`) is refused, so the refusal reaches the watcher through
 * the stream rather than through the commands run before it.
 */
const PERSISTENT_SHELL_ONLY = 'NOPASSWD: /bin/sh -c \\: >*, /usr/bin/sh -c \\: >*';

const watcherProcesses = (device: string): string => {
  try {
    return execFileSync('pgrep', ['-af', `[c]onfwatch-watch:${device}:`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

const sudoReason = (user: TestUser, host: SudoHost) =>
  new RegExp(
    `^sudo -n was refused for ${user.name}@${host.sshd.host}:${host.sshd.port} \\(sudo: .*\\): give the user a NOPASSWD sudoers entry, or remove --sudo from the device$`,
  );

describeUnless(problem, 'realtime monitoring with sudo against a real sshd', () => {
  let host: SudoHost;
  let sudoer: TestUser;
  let plain: TestUser;
  let partial: TestUser;
  let dir: string;
  let temp: TempStore;
  let store: KyselyStore;
  let bus: MemoryEventBus;
  let events: ConfwatchEvent[];
  let monitor: Monitor | undefined;
  let counter = 0;

  beforeAll(async () => {
    host = await startSudoHost('cw-sudo-watch-');
    sudoer = host.addUser('cwwsudo', NOPASSWD_SH);
    plain = host.addUser('cwwplain');
    partial = host.addUser('cwwpart', PERSISTENT_SHELL_ONLY);
  });
  afterAll(async () => {
    await host?.stop();
  });

  beforeEach(async () => {
    temp = await openTempStore('cw-sudo-watch-home-');
    store = temp.store;
    bus = new MemoryEventBus();
    events = recordEvents(bus);
    // a directory the login user may list, holding a file only root may read
    dir = join(host.base, `etc${++counter}`);
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'secret.conf'), 'token = 1\n', { mode: 0o600 });
  });

  afterEach(async () => {
    await monitor?.stop();
    monitor = undefined;
    await temp.close();
  });

  const startMonitor = async (user: TestUser): Promise<string> => {
    const device = `sudo${process.pid}x${counter}`;
    await store.addDevice(
      sshDevice(device, host.sshd, { user: user.name, sudo: true, mode: 'realtime', pollIntervalSec: 5 }),
      watching(device, `${dir}/**/*.conf`),
    );
    monitor = new Monitor({ store, bus, parts: defaultMonitorParts(), devices: [device], backoff: shortBackoff });
    await monitor.start();
    return device;
  };

  const modes = () => events.filter((e): e is Extract<ConfwatchEvent, { type: 'watch.mode' }> => e.type === 'watch.mode');

  it('captures an edit of a root-only file in realtime for a user with a NOPASSWD entry', async () => {
    const device = await startMonitor(sudoer);
    const first = await until(() => modes()[0], 'a watch mode');
    expect(first).toMatchObject({ mode: 'realtime', reason: 'watches established' });
    const file = join(dir, 'secret.conf');
    const contentOf = async () => {
      const latest = await store.latestSnapshot(device, file);
      return latest && latest.contentHash !== null ? (await store.readContent(latest)).toString('utf8') : undefined;
    };
    // the reconcile scan read it through sudo
    expect(await contentOf()).toBe('token = 1\n');

    writeFileSync(file, 'token = 2\n');
    await until(async () => (await contentOf()) === 'token = 2\n', 'the edit to be stored');
    const history = await store.history(device, file);
    expect(history.items[0]).toMatchObject({ changeType: 'modified', source: 'realtime' });
    expect(modes().map((e) => e.mode)).toEqual(['realtime']);
    // the watcher ran as root: stopping still ends it
    await monitor?.stop();
    monitor = undefined;
    expect(watcherProcesses(device)).toBe('');
  });

  // `partial`: sudo admits the scans' commands but refuses the stream; before, that took three stream failures and a vague fallback to polling
  it.each([
    ['without a sudoers entry', () => plain],
    ['whose sudoers entry does not admit the watch', () => partial],
  ])('degrades a user %s at once with sudo\'s verdict, and tries again on the backoff', async (_, who) => {
    const user = who();
    await startMonitor(user);
    const first = await until(() => modes()[0], 'a watch mode');
    expect(first).toMatchObject({ mode: 'degraded', reason: expect.stringMatching(sudoReason(user, host)) });
    // the short backoff reconnects within a second: the same verdict again, never polling
    await until(() => modes().length >= 2, 'a second attempt');
    expect(modes().map((e) => e.mode)).toEqual(modes().map(() => 'degraded'));
    expect(new Set(modes().map((e) => e.reason))).toEqual(new Set([first.reason]));
    expect(monitor?.devices()[0]?.state).toMatch(/^(degraded|reconnecting|connecting)$/);
    expect(events.filter((e) => e.type === 'config.changed')).toEqual([]);
  });

  it('ends a watcher whose stream sudo refuses with sudo\'s verdict, even when earlier sudo commands ran', async () => {
    const transport = host.transportFor(partial);
    try {
      // the persistent shell's sudo works for this user: the refusal can only come from the stream
      expect((await transport.run(sh`id -u`, { sudo: true })).stdout.toString().trim()).toBe('0');
      const device = `part${process.pid}`;
      const watcher = new InotifyWatcher({
        device,
        transport,
        tree: compileWatchSet(watching(device, `${dir}/**/*.conf`)),
        format: inotifyFormatFor((await probeCapabilities(transport)).inotifywait.version),
        instanceId: 'sudo',
        sudo: true,
        onRequests: () => {},
        onScanDirs: () => {},
      });
      await expect(watcher.start()).rejects.toEqual({ kind: 'sudo-refused', reason: expect.stringMatching(sudoReason(partial, host)) });
      expect(await watcher.ended).toMatchObject({ kind: 'sudo-refused' });
      await watcher.stop();
    } finally {
      await transport.close();
    }
  });
});
