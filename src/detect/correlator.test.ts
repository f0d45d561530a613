import { describe, expect, it } from 'vitest';
import type { ConfwatchEvent } from '../events/event-map.js';
import { MemoryEventBus } from '../events/memory.bus.js';
import type { ChangeSetRecord } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { type CorrelatorClock, Correlator, changeSetTitle } from './correlator.js';

/** A manual clock: timers fire only when `advance` passes them. */
class FakeClock implements CorrelatorClock {
  #now = 1_700_000_000_000;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;

  now = () => new Date(this.#now);
  setTimeout = (callback: () => void, ms: number) => {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + ms, callback });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.#timers.delete(handle as number);
  };

  async advance(ms: number): Promise<void> {
    this.#now += ms;
    for (const [id, timer] of [...this.#timers]) {
      if (timer.at <= this.#now) {
        this.#timers.delete(id);
        timer.callback();
      }
    }
    // let the close (store call, event) settle
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

type ChangeSetStore = Pick<SnapshotStore, 'openChangeSet' | 'closeChangeSet'>;

function fakeStore() {
  const opened: { device: string; title: string; openedAt: string }[] = [];
  const closed: { id: string; title: string; count: number }[] = [];
  const store: ChangeSetStore = {
    async openChangeSet(device, title, openedAt): Promise<ChangeSetRecord> {
      opened.push({ device, title, openedAt });
      return { id: `cs${opened.length}`, device, title, count: 0, openedAt, closedAt: null };
    },
    async closeChangeSet(id, title, count) {
      closed.push({ id, title, count });
    },
  };
  return { store, opened, closed };
}

function setup(quietGapMs?: number) {
  const clock = new FakeClock();
  const { store, opened, closed } = fakeStore();
  const bus = new MemoryEventBus();
  const events: ConfwatchEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const correlator = new Correlator({ device: 'web1', store, bus, clock, ...(quietGapMs === undefined ? {} : { quietGapMs }) });
  return { clock, correlator, opened, closed, events };
}

describe('Correlator windows', () => {
  it('puts changes closer than the quiet gap into one set and closes it after the gap', async () => {
    const { clock, correlator, opened, closed, events } = setup();
    const a = await correlator.changeSetFor('/etc/nginx/a.conf');
    await clock.advance(1_500);
    const b = await correlator.changeSetFor('/etc/nginx/b.conf');
    await clock.advance(1_999);
    expect(closed).toEqual([]);
    await clock.advance(1);
    expect(a).toBe('cs1');
    expect(b).toBe('cs1');
    expect(opened).toHaveLength(1);
    expect(closed).toEqual([{ id: 'cs1', title: '2 files changed in /etc/nginx', count: 2 }]);
    expect(events).toEqual([
      expect.objectContaining({ type: 'config.changeset', device: 'web1', changeSetId: 'cs1', count: 2, paths: ['/etc/nginx/a.conf', '/etc/nginx/b.conf'] }),
    ]);
  });

  it('opens a new set after a quiet gap', async () => {
    const { clock, correlator, closed } = setup();
    expect(await correlator.changeSetFor('/etc/a')).toBe('cs1');
    await clock.advance(2_000);
    expect(await correlator.changeSetFor('/etc/a')).toBe('cs2');
    await clock.advance(2_000);
    expect(closed.map((c) => c.title)).toEqual(['a', 'a']);
  });

  it('counts a file changed twice once', async () => {
    const { clock, correlator, closed } = setup();
    await correlator.changeSetFor('/etc/a');
    await correlator.changeSetFor('/etc/a');
    await clock.advance(2_000);
    expect(closed[0]?.count).toBe(1);
  });

  it('honours a configured gap and clamps it to 30 s', async () => {
    const short = setup(100);
    await short.correlator.changeSetFor('/x');
    await short.clock.advance(100);
    expect(short.closed).toHaveLength(1);

    const long = setup(60_000);
    await long.correlator.changeSetFor('/x');
    await long.clock.advance(29_999);
    expect(long.closed).toHaveLength(0);
    await long.clock.advance(1);
    expect(long.closed).toHaveLength(1);
  });

  it('titles the window as a repository update when git activity was noted, even just before', async () => {
    const { clock, correlator, closed } = setup();
    correlator.noteGitActivity();
    await clock.advance(500);
    await correlator.changeSetFor('/srv/app/compose.yaml');
    await correlator.changeSetFor('/srv/app/.env');
    await clock.advance(2_000);
    expect(closed[0]?.title).toBe('Repository updated (2 files)');
  });

  it('keeps the window open while capture work is in progress', async () => {
    const { clock, correlator, closed } = setup();
    let finish: () => void = () => {};
    const work = correlator.whileBusy(async () => {
      await correlator.changeSetFor('/etc/a');
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    await clock.advance(0);
    await clock.advance(5_000);
    expect(closed).toEqual([]);
    finish();
    await work;
    await clock.advance(1_999);
    expect(closed).toEqual([]);
    await clock.advance(1);
    expect(closed).toHaveLength(1);
  });

  it('flush closes the open window at once', async () => {
    const { correlator, closed } = setup();
    await correlator.changeSetFor('/etc/ssh/sshd_config');
    await correlator.flush();
    expect(closed).toEqual([{ id: 'cs1', title: 'sshd_config', count: 1 }]);
  });
});

describe('changeSetTitle', () => {
  it('names proxy conf bulk updates', () => {
    expect(changeSetTitle(['/config/nginx/proxy-confs/a.conf', '/config/nginx/proxy-confs/b.conf', '/config/nginx/nginx.conf'], false)).toBe(
      'Proxy config bulk update (3 files)',
    );
    expect(changeSetTitle(['/x/sonarr.subdomain.conf', '/y/radarr.subfolder.conf'], false)).toBe('Proxy config bulk update (2 files)');
  });

  it('falls back to the common directory, or the single file name', () => {
    expect(changeSetTitle(['/etc/systemd/system/a.service', '/etc/systemd/system/x.d/o.conf'], false)).toBe('2 files changed in /etc/systemd/system');
    expect(changeSetTitle(['/etc/a', '/srv/b'], false)).toBe('2 files changed in /');
    expect(changeSetTitle(['/config/nginx/proxy-confs/a.conf'], false)).toBe('a.conf');
  });
});
