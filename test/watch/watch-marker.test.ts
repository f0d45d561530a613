/**
 * The stale-watcher marker against a real `pkill -f`: a device name is
 * matched literally, so killing the watchers of `web.1` never kills those
 * of `webx1` (`.` is a regex metacharacter and a valid name character).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { LocalTransport } from '../../src/transport/local.transport.js';
import { killRemoteWatchers, markerPattern } from '../../src/watch/inotify.watcher.js';
import { commandExists, describeWith } from '../helpers/components.js';
import { sleep, until } from '../helpers/monitor.js';

describeWith('pkill', commandExists('pkill'), 'stale watcher marker', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children) child.kill('SIGKILL');
    children.length = 0;
  });

  /** A process whose command line carries the marker, as inotifywait's `--timefmt` value does. */
  const fakeWatcher = (device: string, instance: string) => {
    const child = spawn('sh', ['-c', 'sleep 60; :', `confwatch-watch:${device}:${instance}`], { stdio: 'ignore' });
    children.push(child);
    return child;
  };
  const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

  it('escapes every regex metacharacter a name or instance id may carry', () => {
    expect(markerPattern('web.1', 'a+b')).toBe('[c]onfwatch-watch:web\\.1:a\\+b');
    expect(new RegExp(markerPattern('web.1')).test('confwatch-watch:webx1:')).toBe(false);
    expect(new RegExp(markerPattern('web.1')).test('confwatch-watch:web.1:i1')).toBe(true);
  });

  it('kills the watchers of web.1 and leaves those of webx1 running', async () => {
    const transport = new LocalTransport();
    try {
      const mine = fakeWatcher('web.1', 'i1');
      const other = fakeWatcher('webx1', 'i2');
      await sleep(200);
      await killRemoteWatchers(transport, 'web.1');
      await until(() => !alive(mine), 'the web.1 watcher to end', 5_000);
      await sleep(200);
      expect(alive(other)).toBe(true);
    } finally {
      await transport.close();
    }
  });
});
