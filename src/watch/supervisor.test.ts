import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CaptureRequest } from '../detect/capture.js';
import type { ConfwatchEvent } from '../events/event-map.js';
import { MemoryEventBus } from '../events/memory.bus.js';
import type { DeviceMode } from '../store/records.js';
import { Backoff } from './backoff.js';
import type { WatchEnd } from './inotify.watcher.js';
import {
  chooseMode,
  type DeviceSession,
  pollIntervalMs,
  type RealtimeWatcher,
  Supervisor,
  type WatcherHooks,
} from './supervisor.js';

/** A watcher whose start outcome each test decides. */
class FakeWatcher implements RealtimeWatcher {
  readonly hooks: WatcherHooks;
  readonly #startOutcome: WatchEnd | 'established';
  #resolveEnd!: (end: WatchEnd) => void;
  readonly ended = new Promise<WatchEnd>((resolve) => {
    this.#resolveEnd = resolve;
  });
  stopped = false;

  constructor(hooks: WatcherHooks, startOutcome: WatchEnd | 'established') {
    this.hooks = hooks;
    this.#startOutcome = startOutcome;
  }

  async start(): Promise<void> {
    if (this.#startOutcome !== 'established') {
      this.#resolveEnd(this.#startOutcome);
      throw this.#startOutcome;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.#resolveEnd({ kind: 'stopped' });
  }

  end(end: WatchEnd): void {
    this.#resolveEnd(end);
  }
}

interface Script {
  version?: string | null;
  watcherStarts?: (WatchEnd | 'established')[];
}

function harness(mode: DeviceMode, script: Script, connectFailures = 0) {
  const bus = new MemoryEventBus();
  const events: ConfwatchEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const log: string[] = [];
  const watchers: FakeWatcher[] = [];
  const sessions: DeviceSession[] = [];
  const captured: CaptureRequest[][] = [];
  let failuresLeft = connectFailures;
  const starts = [...(script.watcherStarts ?? [])];
  const connect = async (): Promise<DeviceSession> => {
    log.push('connect');
    if (failuresLeft-- > 0) throw new Error('connection refused');
    const session: DeviceSession = {
      target: 'root@host:22',
      inotifywaitVersion: script.version === undefined ? '3.22.6.0' : script.version,
      scan: async (source, dirs) => {
        log.push(dirs ? `scan:${source}:${dirs.join(',')}` : `scan:${source}`);
      },
      capture: async (requests) => {
        captured.push(requests);
      },
      createWatcher: (hooks) => {
        const outcome = starts.shift();
        if (outcome === undefined) throw new Error('unexpected watcher start');
        log.push('watch');
        const watcher = new FakeWatcher(hooks, outcome);
        watchers.push(watcher);
        return watcher;
      },
      close: async () => {
        log.push('close');
      },
    };
    sessions.push(session);
    return session;
  };
  const supervisor = new Supervisor({
    device: 'web1',
    mode,
    connect,
    bus,
    pollIntervalMs: 10_000,
    verifyIntervalMs: 60_000,
    backoff: new Backoff({ random: () => 0.5 }),
  });
  const modes = () =>
    events.filter((e) => e.type === 'watch.mode').map((e) => (e.type === 'watch.mode' ? `${e.mode}: ${e.reason}` : ''));
  return { supervisor, bus, events, log, watchers, captured, modes };
}

const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Supervisor', () => {
  it('reconciles once the watch is established, then reports realtime and runs verification scans', async () => {
    const h = harness('auto', { watcherStarts: ['established'] });
    h.supervisor.start();
    await settle();
    expect(h.log).toEqual(['connect', 'watch', 'scan:rescan']);
    expect(h.supervisor.state).toBe('realtime');
    expect(h.events.map((e) => e.type)).toEqual(['device.connected', 'watch.mode']);
    expect(h.modes()).toEqual(['realtime: watches established']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.log.at(-1)).toBe('scan:rescan');
    await h.supervisor.stop();
  });

  it('passes watcher requests to capture and directory scans to the scanner, in order', async () => {
    const h = harness('auto', { watcherStarts: ['established'] });
    h.supervisor.start();
    await settle();
    const hooks = h.watchers[0]?.hooks;
    hooks?.onRequests([{ path: '/etc/a.conf', kind: 'changed', detectedAt: 't' }]);
    hooks?.onScanDirs(['/etc/new'], 'directory create');
    await settle();
    expect(h.captured).toEqual([[{ path: '/etc/a.conf', kind: 'changed', detectedAt: 't' }]]);
    expect(h.log.at(-1)).toBe('scan:rescan:/etc/new');
    await h.supervisor.stop();
  });

  it('polls when inotifywait is missing, saying why', async () => {
    const h = harness('auto', { version: null });
    h.supervisor.start();
    await settle();
    expect(h.modes()).toEqual(['polling: inotifywait not installed on host']);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(h.log).toEqual(['connect', 'scan:rescan', 'scan:poll', 'scan:poll']);
    await h.supervisor.stop();
  });

  it('polls when forced, without starting a watcher', async () => {
    const h = harness('polling', {});
    h.supervisor.start();
    await settle();
    expect(h.supervisor.state).toBe('polling');
    expect(h.modes()).toEqual(['polling: polling forced by device configuration']);
    await h.supervisor.stop();
  });

  it('falls back to polling on the same connection when the watcher hits inotify limits', async () => {
    const reason = 'inotify limit reached: upper limit on inotify watches reached!';
    const h = harness('auto', { watcherStarts: [{ kind: 'fallback', reason }] });
    h.supervisor.start();
    await settle();
    expect(h.modes()).toEqual([`polling: ${reason}`]);
    expect(h.log).toEqual(['connect', 'watch', 'scan:rescan']);
    await h.supervisor.stop();
  });

  it('reconnects after a stream failure with backoff, reconciles again and drops the old session\'s work', async () => {
    const h = harness('auto', { watcherStarts: ['established', 'established'] });
    h.supervisor.start();
    await settle();
    h.watchers[0]?.end({ kind: 'failed', reason: 'inotifywait exited with a signal' });
    await settle();
    expect(h.supervisor.state).toBe('degraded');
    expect(h.events.map((e) => e.type).slice(-2)).toEqual(['device.disconnected', 'watch.mode']);
    await vi.advanceTimersByTimeAsync(500);
    expect(h.supervisor.state).toBe('realtime');
    h.watchers[0]?.hooks.onRequests([{ path: '/etc/stale.conf', kind: 'changed', detectedAt: 't' }]);
    await settle();
    expect(h.captured).toEqual([]);
    expect(h.log).toEqual(['connect', 'watch', 'scan:rescan', 'close', 'connect', 'watch', 'scan:rescan']);
    expect(h.modes()).toEqual([
      'realtime: watches established',
      'degraded: inotifywait exited with a signal',
      'realtime: watches established',
    ]);
    await h.supervisor.stop();
  });

  it('switches to polling after three stream failures within a minute', async () => {
    const h = harness('auto', { watcherStarts: ['established', 'established', 'established'] });
    h.supervisor.start();
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(2_000);
      h.watchers[i]?.end({ kind: 'failed', reason: 'stream closed' });
    }
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.supervisor.state).toBe('polling');
    expect(h.modes().at(-1)).toMatch(/^polling: watch stream failed 3 times within 60 s/);
    await h.supervisor.stop();
  });

  it('retries an unreachable host with growing delays', async () => {
    const h = harness('auto', { watcherStarts: ['established'] }, 2);
    h.supervisor.start();
    await settle();
    expect(h.log).toEqual(['connect']);
    expect(h.supervisor.state).toBe('degraded');
    await vi.advanceTimersByTimeAsync(500);
    expect(h.log).toEqual(['connect', 'connect']);
    await vi.advanceTimersByTimeAsync(999);
    expect(h.log).toEqual(['connect', 'connect']);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.supervisor.state).toBe('realtime');
    expect(h.events.filter((e) => e.type === 'device.disconnected')).toEqual([]);
    await h.supervisor.stop();
  });

  it('stop ends the watcher and closes the session', async () => {
    const h = harness('auto', { watcherStarts: ['established'] });
    h.supervisor.start();
    await settle();
    await h.supervisor.stop();
    expect(h.watchers[0]?.stopped).toBe(true);
    expect(h.log.at(-1)).toBe('close');
    expect(h.supervisor.state).toBe('stopped');
  });
});

describe('mode and interval helpers', () => {
  it('prefers the device interval, else the shortest profile, never under 5 s', () => {
    expect(pollIntervalMs({ pollIntervalSec: 30 }, [{ pollIntervalSec: 300 }])).toBe(30_000);
    expect(pollIntervalMs({ pollIntervalSec: null }, [{ pollIntervalSec: 600 }, { pollIntervalSec: 300 }])).toBe(300_000);
    expect(pollIntervalMs({ pollIntervalSec: 1 }, [])).toBe(5_000);
  });

  it('keeps a fallback reason over the probe result', () => {
    expect(chooseMode('auto', '3.22', null)).toEqual({ mode: 'realtime', reason: 'watches established' });
    expect(chooseMode('realtime', null, null).mode).toBe('realtime');
    expect(chooseMode('auto', '3.22', 'limits')).toEqual({ mode: 'polling', reason: 'limits' });
  });
});
