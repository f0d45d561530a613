import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CaptureRequest } from './capture.js';
import { Debouncer } from './debouncer.js';
import type { InotifyEvent, InotifyEventName } from './inotify-record.js';

const ev = (path: string, name: InotifyEventName, cookie: number | null = null, isDir = false): InotifyEvent => ({
  kind: 'event',
  path,
  dir: path.slice(0, path.lastIndexOf('/')) || '/',
  events: [name],
  isDir,
  cookie,
});

function setup(match: (p: string) => boolean = (p) => p.endsWith('.conf')) {
  const batches: CaptureRequest[][] = [];
  const onGitActivity = vi.fn();
  const debouncer = new Debouncer({ match, onBatch: (b) => batches.push(b), onGitActivity });
  return { debouncer, batches, onGitActivity };
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2025-01-01T00:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Debouncer', () => {
  it('captures a closed file after 20 ms of quiet, stamped with its first event', () => {
    const { debouncer, batches } = setup();
    debouncer.push(ev('/e/a.conf', 'modify'));
    debouncer.push(ev('/e/a.conf', 'close_write'));
    vi.advanceTimersByTime(19);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([[{ path: '/e/a.conf', kind: 'changed', detectedAt: '2025-01-01T00:00:00.000Z' }]]);
  });

  it('waits 500 ms after a bare modify', () => {
    const { debouncer, batches } = setup();
    debouncer.push(ev('/e/a.conf', 'modify'));
    vi.advanceTimersByTime(499);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches.flat()).toEqual([expect.objectContaining({ path: '/e/a.conf', kind: 'changed' })]);
  });

  it('captures a file written continuously after at most 2 s', () => {
    const { debouncer, batches } = setup();
    for (let t = 0; t < 3_000; t += 100) {
      debouncer.push(ev('/e/a.conf', 'modify'));
      vi.advanceTimersByTime(100);
      if (batches.length > 0) break;
    }
    expect(batches).toHaveLength(1);
    expect(Date.now() - Date.parse('2025-01-01T00:00:00Z')).toBe(2_000);
  });

  it('folds an editor save by rename into one change of the target', () => {
    const { debouncer, batches } = setup();
    debouncer.push(ev('/e/.a.conf.tmp', 'create'));
    debouncer.push(ev('/e/.a.conf.tmp', 'close_write'));
    debouncer.push(ev('/e/.a.conf.tmp', 'attrib'));
    debouncer.push(ev('/e/.a.conf.tmp', 'moved_from', 7));
    debouncer.push(ev('/e/a.conf', 'moved_to', 7));
    vi.advanceTimersByTime(20);
    expect(batches).toEqual([[expect.objectContaining({ path: '/e/a.conf', kind: 'changed' })]]);
  });

  it('pairs moved_from and moved_to by cookie into a move', () => {
    const { debouncer, batches } = setup();
    debouncer.push(ev('/e/old.conf', 'moved_from', 42));
    debouncer.push(ev('/e/other.conf', 'close_write'));
    debouncer.push(ev('/e/new.conf', 'moved_to', 42));
    vi.advanceTimersByTime(20);
    expect(batches.flat()).toEqual([
      expect.objectContaining({ path: '/e/new.conf', kind: 'moved', movedFrom: '/e/old.conf' }),
      expect.objectContaining({ path: '/e/other.conf', kind: 'changed' }),
    ]);
  });

  it('pairs adjacent moves when the format has no cookies, and only adjacent ones', () => {
    const { debouncer, batches } = setup();
    debouncer.push(ev('/e/old.conf', 'moved_from'));
    debouncer.push(ev('/e/new.conf', 'moved_to'));
    debouncer.push(ev('/e/x.conf', 'moved_from'));
    debouncer.push(ev('/e/y.conf', 'close_write'));
    debouncer.push(ev('/e/z.conf', 'moved_to'));
    vi.advanceTimersByTime(20);
    expect(batches.flat()).toEqual([
      expect.objectContaining({ path: '/e/new.conf', kind: 'moved', movedFrom: '/e/old.conf' }),
      expect.objectContaining({ path: '/e/x.conf', kind: 'deleted' }),
      expect.objectContaining({ path: '/e/y.conf', kind: 'changed' }),
      expect.objectContaining({ path: '/e/z.conf', kind: 'changed' }),
    ]);
  });

  it('treats a file moved out of the tree as deleted and a delete then re-create as changed', () => {
    const { debouncer, batches } = setup();
    debouncer.push(ev('/e/gone.conf', 'moved_from', 9));
    debouncer.push(ev('/e/back.conf', 'delete'));
    debouncer.push(ev('/e/back.conf', 'create'));
    debouncer.push(ev('/e/back.conf', 'close_write'));
    vi.advanceTimersByTime(20);
    expect(batches.flat()).toEqual([
      expect.objectContaining({ path: '/e/gone.conf', kind: 'deleted' }),
      expect.objectContaining({ path: '/e/back.conf', kind: 'changed' }),
    ]);
  });

  it('ignores unwatched paths and directory events, but reports .git activity once per batch', () => {
    const { debouncer, batches, onGitActivity } = setup();
    debouncer.push(ev('/r/.git/index', 'close_write'));
    debouncer.push(ev('/r/.git/HEAD', 'close_write'));
    debouncer.push(ev('/r/readme.md', 'close_write'));
    debouncer.push(ev('/r/d.conf', 'create', null, true));
    debouncer.push(ev('/r/a.conf', 'close_write'));
    vi.advanceTimersByTime(20);
    expect(onGitActivity).toHaveBeenCalledTimes(1);
    expect(batches.flat().map((r) => r.path)).toEqual(['/r/a.conf']);
    debouncer.push(ev('/r/.git/ORIG_HEAD', 'close_write'));
    expect(onGitActivity).toHaveBeenCalledTimes(2);
  });

  it('flush emits everything pending at once; dispose drops it', () => {
    const { debouncer, batches } = setup();
    debouncer.push(ev('/e/a.conf', 'modify'));
    expect(debouncer.flush()).toEqual([expect.objectContaining({ path: '/e/a.conf' })]);
    debouncer.push(ev('/e/b.conf', 'modify'));
    debouncer.dispose();
    vi.advanceTimersByTime(5_000);
    expect(batches.flat().map((r) => r.path)).toEqual(['/e/a.conf']);
    expect(debouncer.pendingCount).toBe(0);
  });

  it('drain hands over every pending path, the source of a pending move included, without emitting', () => {
    const { debouncer, batches } = setup();
    debouncer.push(ev('/e/a.conf', 'close_write'));
    debouncer.push(ev('/e/old.conf', 'moved_from', 7));
    debouncer.push(ev('/f/new.conf', 'moved_to', 7));
    expect(debouncer.drain().sort()).toEqual(['/e/a.conf', '/e/old.conf', '/f/new.conf']);
    expect(debouncer.pendingCount).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect(batches).toEqual([]);
  });
});
