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

/** How a fake watcher's start goes: at once, or (`pending`) when the test calls establish(). */
type StartOutcome = WatchEnd | 'established' | 'pending';

/** A watcher whose start outcome each test decides. */
class FakeWatcher implements RealtimeWatcher {
  readonly hooks: WatcherHooks;
  readonly #startOutcome: StartOutcome;
  #resolveEnd!: (end: WatchEnd) => void;
  readonly ended = new Promise<WatchEnd>((resolve) => {
    this.#resolveEnd = resolve;
  });
  #establish: (() => void) | undefined;
  stopped = false;

  constructor(hooks: WatcherHooks, startOutcome: StartOutcome) {
    this.hooks = hooks;
    this.#startOutcome = startOutcome;
  }

  async start(): Promise<void> {
    if (this.#startOutcome === 'pending') {
      await Promise.race([
        new Promise<void>((resolve) => (this.#establish = resolve)),
        this.ended.then((end) => Promise.reject(end)),
      ]);
    } else if (this.#startOutcome !== 'established') {
      this.#resolveEnd(this.#startOutcome);
      throw this.#startOutcome;
    }
  }

  /** "Watches established" for a pending start. */
  establish(): void {
    if (!this.#establish) throw new Error('no pending start');
    this.#establish();
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
  watcherStarts?: StartOutcome[];
  /** How a capture runs; `closed` resolves when its session is closed. Default: at once. */
  capture?: (requests: CaptureRequest[], closed: Promise<void>) => Promise<void>;
  /** The supervisor's retry jitter; default none, so retries come at exact intervals. */
  retryJitter?: () => number;
}

function harness(mode: DeviceMode, script: Script, connectFailures = 0) {
  /** What a probe of the host finds now; tests change it (inotify-tools installed). */
  const host = { version: script.version === undefined ? '3.22.6.0' : script.version, linkDown: false };
  const errors: unknown[] = [];
  const bus = new MemoryEventBus();
  const events: ConfwatchEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const log: string[] = [];
  const watchers: FakeWatcher[] = [];
  const sessions: DeviceSession[] = [];
  const captured: CaptureRequest[][] = [];
  let failuresLeft = connectFailures;
  const starts: StartOutcome[] = [...(script.watcherStarts ?? [])];
  const connect = async (): Promise<DeviceSession> => {
    log.push('connect');
    if (failuresLeft-- > 0) throw new Error('connection refused');
    let markClosed!: () => void;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const session: DeviceSession = {
      target: 'root@host:22',
      inotifywaitVersion: host.version,
      probeInotifywait: async () => {
        log.push('probe');
        return host.version;
      },
      scan: async (source, dirs) => {
        if (host.linkDown) throw new Error('connection lost');
        log.push(dirs ? `scan:${source}:${dirs.join(',')}` : `scan:${source}`);
      },
      capture: async (requests) => {
        await script.capture?.(requests, closed);
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
        markClosed();
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
    retryJitter: script.retryJitter ?? (() => 0),
    onError: (error) => errors.push(error),
  });
  const modes = () =>
    events.filter((e) => e.type === 'watch.mode').map((e) => (e.type === 'watch.mode' ? `${e.mode}: ${e.reason}` : ''));
  return { supervisor, bus, events, log, watchers, captured, modes, host, starts, errors };
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

  it('coalesces directory scans waiting in the queue into one, and a flood of directories into a scan of every root', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const h = harness('auto', { watcherStarts: ['established'], capture: () => blocked });
    h.supervisor.start();
    await settle();
    const hooks = h.watchers[0]?.hooks;
    hooks?.onRequests([{ path: '/etc/a.conf', kind: 'changed', detectedAt: 't' }]);
    for (let i = 0; i < 50; i++) hooks?.onScanDirs([`/etc/d${i % 3}`], 'directory create');
    release();
    await settle();
    expect(h.log.filter((l) => l.startsWith('scan:rescan:'))).toEqual(['scan:rescan:/etc/d0,/etc/d1,/etc/d2']);

    const before = h.log.length;
    for (let i = 0; i < 5_000; i++) hooks?.onScanDirs([`/etc/flood/${i}`], 'directory create');
    await settle();
    expect(h.log.slice(before).filter((l) => l.startsWith('scan:'))).toEqual(['scan:rescan']);
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

  it('degrades at once when sudo refuses the watch, and tries again on the backoff without falling back to polling', async () => {
    const reason = 'sudo -n was refused for ops@host:22 (sudo: a password is required): give the user a NOPASSWD sudoers entry, or remove --sudo from the device';
    const refused: WatchEnd = { kind: 'sudo-refused', reason };
    const h = harness('auto', { watcherStarts: [refused, refused, refused, 'established'] });
    h.supervisor.start();
    await settle();
    expect(h.supervisor.state).toBe('degraded');
    expect(h.modes()).toEqual([`degraded: ${reason}`]);
    expect(h.log).toEqual(['connect', 'watch', 'close']);
    // 500 ms, then 1 s, then 2 s (full jitter at one half): no attempt in between
    await vi.advanceTimersByTimeAsync(500);
    expect(h.log.filter((l) => l === 'watch')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(999);
    expect(h.log.filter((l) => l === 'watch')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.log.filter((l) => l === 'watch')).toHaveLength(3);
    // the sudoers entry was fixed meanwhile
    await vi.advanceTimersByTimeAsync(2_000);
    expect(h.supervisor.state).toBe('realtime');
    expect(h.modes()).toEqual([`degraded: ${reason}`, `degraded: ${reason}`, `degraded: ${reason}`, 'realtime: watches established']);
    expect(h.log.filter((l) => l.startsWith('scan'))).toEqual(['scan:rescan']);
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

  it('stop lets a capture in flight finish before closing the session, and drops work queued behind it', async () => {
    const log: string[] = [];
    const h = harness('auto', {
      watcherStarts: ['established'],
      capture: async ([request]) => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        log.push(`stored ${request?.path}`);
      },
    });
    h.supervisor.start();
    await settle();
    h.watchers[0]?.hooks.onRequests([{ path: '/etc/a.conf', kind: 'changed', detectedAt: 't' }]);
    h.watchers[0]?.hooks.onRequests([{ path: '/etc/b.conf', kind: 'changed', detectedAt: 't' }]);
    await settle();
    const stopped = h.supervisor.stop();
    await vi.advanceTimersByTimeAsync(500);
    await stopped;
    expect(log).toEqual(['stored /etc/a.conf']);
    expect(h.captured.map(([r]) => r?.path)).toEqual(['/etc/a.conf']);
    expect(h.log.at(-1)).toBe('close');
    expect(h.errors).toEqual([]);
  });

  it('stop closes the session under a capture that outlives the grace; the capture fails and stores nothing', async () => {
    const h = harness('auto', {
      watcherStarts: ['established'],
      // a read on a link that no longer answers: it only fails once the connection is closed
      capture: (_requests, closed) => closed.then(() => Promise.reject(new Error('connection closed'))),
    });
    h.supervisor.start();
    await settle();
    h.watchers[0]?.hooks.onRequests([{ path: '/etc/a.conf', kind: 'changed', detectedAt: 't' }]);
    await settle();
    let done = false;
    const stopped = h.supervisor.stop().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(done).toBe(false);
    expect(h.log.at(-1)).not.toBe('close');
    await vi.advanceTimersByTimeAsync(500);
    await stopped;
    expect(h.log.at(-1)).toBe('close');
    expect(h.captured).toEqual([]);
    expect(h.errors).toEqual([new Error('connection closed')]);
    expect(h.supervisor.state).toBe('stopped');
  });

  it('stop gives up on work that does not end even after the session is closed, and says so', async () => {
    const h = harness('auto', { watcherStarts: ['established'], capture: () => new Promise(() => {}) });
    h.supervisor.start();
    await settle();
    h.watchers[0]?.hooks.onRequests([{ path: '/etc/a.conf', kind: 'changed', detectedAt: 't' }]);
    await settle();
    const stopped = h.supervisor.stop();
    await vi.advanceTimersByTimeAsync(3_000);
    await stopped;
    expect(h.log.at(-1)).toBe('close');
    expect(String(h.errors[0])).toMatch(/still running 3000 ms after stop; abandoned/);
  });

  it('a connect that completes after stop gave up on it closes its session', async () => {
    let finishConnect!: () => void;
    const h = harness('auto', { watcherStarts: ['established'] });
    const slow = new Supervisor({
      device: 'web2',
      mode: 'auto',
      bus: h.bus,
      pollIntervalMs: 10_000,
      connect: async () => {
        await new Promise<void>((resolve) => (finishConnect = resolve));
        h.log.push('connected late');
        return {
          target: 'root@host:22',
          inotifywaitVersion: '3.22.6.0',
          probeInotifywait: async () => '3.22.6.0',
          scan: async () => {},
          capture: async () => {},
          createWatcher: () => {
            throw new Error('no watcher after stop');
          },
          close: async () => {
            h.log.push('late session closed');
          },
        };
      },
    });
    slow.start();
    const stopped = slow.stop();
    await vi.advanceTimersByTimeAsync(3_000);
    await stopped;
    finishConnect();
    await settle();
    expect(h.log).toEqual(['connected late', 'late session closed']);
    expect(slow.state).toBe('stopped');
  });
});

const LIMIT = 'inotify limit reached: upper limit on inotify watches reached!';
const MINUTE = 60_000;

describe('Supervisor: back to realtime after a fallback', () => {
  /** Log entries from index `from` on, without the poll scans. */
  const since = (log: string[], from: number) => log.slice(from).filter((entry) => entry !== 'scan:poll');

  it('retries realtime after 10 minutes of polling, reconciles and stops polling', async () => {
    const h = harness('auto', { watcherStarts: [{ kind: 'fallback', reason: LIMIT }, 'established'] });
    h.supervisor.start();
    await settle();
    expect(h.modes()).toEqual([`polling: ${LIMIT}`]);
    await vi.advanceTimersByTimeAsync(10 * MINUTE - 1);
    expect(h.log.filter((entry) => entry === 'probe')).toEqual([]);
    const before = h.log.length;
    await vi.advanceTimersByTimeAsync(1);
    expect(h.supervisor.state).toBe('realtime');
    expect(since(h.log, before)).toEqual(['probe', 'watch', 'scan:rescan']);
    expect(h.modes()).toEqual([`polling: ${LIMIT}`, `realtime: realtime restored after ${LIMIT}`]);
    const afterHandover = h.log.length;
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    expect(h.log.slice(afterHandover)).toEqual(['scan:rescan', 'scan:rescan']);
    expect(h.errors).toEqual([]);
    await h.supervisor.stop();
  });

  it('spreads retries: jitter takes up to a quarter off the wait', async () => {
    const h = harness('auto', { watcherStarts: [{ kind: 'fallback', reason: LIMIT }, 'established'], retryJitter: () => 0.5 });
    h.supervisor.start();
    await settle();
    await vi.advanceTimersByTimeAsync(8.75 * MINUTE - 1);
    expect(h.log.filter((entry) => entry === 'probe')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.log.filter((entry) => entry === 'probe')).toEqual(['probe']);
    expect(h.supervisor.state).toBe('realtime');
    await h.supervisor.stop();
  });

  it('keeps polling while the retry starts its watcher, and hands over only once watches are established', async () => {
    const h = harness('auto', { watcherStarts: [{ kind: 'fallback', reason: LIMIT }, 'pending'] });
    h.supervisor.start();
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(h.watchers).toHaveLength(2);
    const attemptStarted = h.log.length;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(h.log.slice(attemptStarted)).toEqual(['scan:poll', 'scan:poll', 'scan:poll']);
    expect(h.supervisor.state).toBe('polling');
    h.watchers[1]?.establish();
    await settle();
    expect(h.log.at(-1)).toBe('scan:rescan');
    expect(h.supervisor.state).toBe('realtime');
    const afterHandover = h.log.length;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(h.log.slice(afterHandover)).toEqual([]);
    await h.supervisor.stop();
  });

  it('backs off after failed retries, doubling up to an hour, without repeating the same reason', async () => {
    const fallback: WatchEnd = { kind: 'fallback', reason: LIMIT };
    const h = harness('auto', { watcherStarts: Array.from({ length: 6 }, () => fallback) });
    h.supervisor.start();
    await settle();
    const retriesAt: number[] = [];
    let watchers = h.watchers.length;
    for (let minute = 1; minute <= 10 + 20 + 40 + 60 + 60; minute++) {
      await vi.advanceTimersByTimeAsync(MINUTE);
      if (h.watchers.length > watchers) retriesAt.push(minute);
      watchers = h.watchers.length;
    }
    expect(retriesAt).toEqual([10, 30, 70, 130, 190]);
    expect(h.supervisor.state).toBe('polling');
    expect(h.modes()).toEqual([`polling: ${LIMIT}`]);
    await h.supervisor.stop();
  });

  it('announces a new reason when a retry fails differently, and names it once realtime is back', async () => {
    const h = harness('auto', {
      watcherStarts: [{ kind: 'fallback', reason: LIMIT }, { kind: 'failed', reason: 'inotifywait exited with code 1' }, 'established'],
    });
    h.supervisor.start();
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(h.supervisor.state).toBe('polling');
    await vi.advanceTimersByTimeAsync(20 * MINUTE);
    expect(h.modes()).toEqual([
      `polling: ${LIMIT}`,
      'polling: inotifywait exited with code 1',
      'realtime: realtime restored after inotifywait exited with code 1',
    ]);
    await h.supervisor.stop();
  });

  it('probes again for an installed inotifywait and starts no watcher while it is missing', async () => {
    const h = harness('auto', { version: null, watcherStarts: ['established'] });
    h.supervisor.start();
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(h.log.filter((entry) => entry === 'probe' || entry === 'watch')).toEqual(['probe']);
    h.host.version = '3.22.6.0';
    await vi.advanceTimersByTimeAsync(20 * MINUTE - 1);
    expect(h.supervisor.state).toBe('polling');
    await vi.advanceTimersByTimeAsync(1);
    expect(h.log.filter((entry) => entry === 'probe' || entry === 'watch')).toEqual(['probe', 'probe', 'watch']);
    expect(h.modes()).toEqual([
      'polling: inotifywait not installed on host',
      'realtime: realtime restored after inotifywait not installed on host',
    ]);
    await h.supervisor.stop();
  });

  it('starts again from 10 minutes when realtime falls back once more after being restored', async () => {
    const h = harness('auto', {
      watcherStarts: [{ kind: 'fallback', reason: LIMIT }, { kind: 'fallback', reason: LIMIT }, 'established', 'established'],
    });
    h.supervisor.start();
    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    expect(h.supervisor.state).toBe('realtime');
    h.watchers[2]?.end({ kind: 'fallback', reason: LIMIT });
    await settle();
    expect(h.supervisor.state).toBe('polling');
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(h.supervisor.state).toBe('realtime');
    expect(h.modes()).toEqual([
      `polling: ${LIMIT}`,
      `realtime: realtime restored after ${LIMIT}`,
      `polling: ${LIMIT}`,
      `realtime: realtime restored after ${LIMIT}`,
    ]);
    await h.supervisor.stop();
  });

  it('never retries realtime on a device configured to poll', async () => {
    const h = harness('polling', {});
    h.supervisor.start();
    await vi.advanceTimersByTimeAsync(3 * 60 * MINUTE);
    expect(h.log.filter((entry) => entry === 'probe' || entry === 'watch')).toEqual([]);
    expect(h.modes()).toEqual(['polling: polling forced by device configuration']);
    await h.supervisor.stop();
  });

  it('stop ends a retry whose watcher is still starting', async () => {
    const h = harness('auto', { watcherStarts: [{ kind: 'fallback', reason: LIMIT }, 'pending'] });
    h.supervisor.start();
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    await h.supervisor.stop();
    expect(h.watchers[1]?.stopped).toBe(true);
    expect(h.log.at(-1)).toBe('close');
    expect(h.supervisor.state).toBe('stopped');
    expect(h.errors).toEqual([]);
  });

  it('after a reconnect keeps polling with the reason and retries on the new session', async () => {
    const h = harness('auto', { watcherStarts: [{ kind: 'fallback', reason: LIMIT }, 'established'] });
    h.supervisor.start();
    await settle();
    h.host.linkDown = true;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.supervisor.state).toBe('degraded');
    h.host.linkDown = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.supervisor.state).toBe('polling');
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(h.supervisor.state).toBe('realtime');
    expect(h.modes()).toEqual([
      `polling: ${LIMIT}`,
      'degraded: connection lost',
      `polling: ${LIMIT}`,
      `realtime: realtime restored after ${LIMIT}`,
    ]);
    await h.supervisor.stop();
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
