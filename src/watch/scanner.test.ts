import { describe, expect, it } from 'vitest';
import type { ListingEntry } from '../detect/poll-script.js';
import { linkHash } from '../detect/symlink.js';
import type { TrackedFileRecord } from '../store/records.js';
import { clipToRoots, isUnder, judge } from './scanner.js';

const HASH = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

/** The stat both the listing entry and the tracked record start from, so that by default they match. */
const STAT = { size: 10, mtimeMs: 1_000, ino: 5, mode: 0o644, uid: 0, gid: 0 };

const entry = (extra: Partial<ListingEntry> = {}): ListingEntry => ({
  path: '/srv/a.conf',
  type: 'file',
  ...STAT,
  hash: null,
  target: null,
  ...extra,
});

const tracked = (extra: Partial<TrackedFileRecord> = {}): TrackedFileRecord => ({
  device: 'd',
  path: '/srv/a.conf',
  configType: 'generic',
  profile: 'custom',
  latestSnapshotId: 's1',
  baselineSnapshotId: 's1',
  contentHash: HASH,
  deleted: false,
  syncStatus: 'synced',
  validationStatus: 'pending',
  lastError: null,
  lastCheckedAt: null,
  ...STAT,
  ...extra,
});

describe('judge', () => {
  it('trusts an unchanged stat on an incremental listing without reading', () => {
    expect(judge(entry(), tracked(), true, 100)).toEqual({ need: 'nothing' });
  });

  it('fetches when the stat moved but no hash came back, or on a full listing without a hash', () => {
    expect(judge(entry({ mtimeMs: 2_000 }), tracked(), true, 100)).toEqual({ need: 'fetch' });
    expect(judge(entry(), tracked(), false, 100)).toEqual({ need: 'fetch' });
  });

  it('fetches new files and changed hashes, but not files over the limit', () => {
    expect(judge(entry({ hash: OTHER }), undefined, true, 100)).toEqual({ need: 'fetch' });
    expect(judge(entry({ hash: OTHER }), tracked(), true, 100)).toEqual({ need: 'fetch' });
    expect(judge(entry({ hash: OTHER }), tracked({ deleted: true, contentHash: null }), true, 100)).toEqual({ need: 'fetch' });
    expect(judge(entry({ hash: OTHER, size: 500 }), tracked(), true, 100)).toMatchObject({ need: 'capture', observed: { kind: 'hash-only', hash: OTHER } });
  });

  it('hands same-hash files with new owner, mode or stat to capture without their bytes', () => {
    expect(judge(entry({ hash: HASH, mode: 0o600 }), tracked(), true, 100)).toMatchObject({ need: 'capture', observed: { kind: 'hash-only', hash: HASH } });
    expect(judge(entry({ hash: HASH, ino: 9 }), tracked(), true, 100)).toMatchObject({ need: 'capture' });
    expect(judge(entry({ hash: HASH }), tracked(), false, 100)).toEqual({ need: 'nothing' });
  });

  it('leaves a known-unreadable file alone until something about it changes', () => {
    const unreadable = tracked({ syncStatus: 'unreadable', contentHash: null });
    expect(judge(entry(), unreadable, false, 100)).toEqual({ need: 'nothing' });
    expect(judge(entry({ mode: 0o644, size: 11 }), unreadable, false, 100)).toEqual({ need: 'fetch' });
  });
});

describe('judge for symlinks', () => {
  const link = (target: string, extra: Partial<ListingEntry> = {}) => entry({ type: 'symlink', target, mode: 0o777, ...extra });
  const watched = (p: string) => p.startsWith('/srv/');

  it('records a link whose target is not watched as a link, without reading it', () => {
    expect(judge(link('/etc/shadow'), undefined, false, 100, watched)).toMatchObject({ need: 'capture', observed: { kind: 'link', target: '/etc/shadow' } });
    expect(judge(link('../../dev/zero'), undefined, true, 100, watched)).toMatchObject({ need: 'capture', observed: { kind: 'link' } });
  });

  it('reads through a link only when its target is watched', () => {
    expect(judge(link('b.conf'), undefined, false, 100, watched)).toEqual({ need: 'fetch' });
    expect(judge(link('/srv/b.conf'), tracked(), true, 100, watched)).toEqual({ need: 'fetch' });
  });

  it('leaves an unchanged link alone and notices a new target', () => {
    const known = tracked({ contentHash: linkHash('/etc/shadow'), mode: 0o777 });
    expect(judge(link('/etc/shadow'), known, true, 100, watched)).toEqual({ need: 'nothing' });
    expect(judge(link('/etc/passwd'), known, true, 100, watched)).toMatchObject({ need: 'capture', observed: { kind: 'link', target: '/etc/passwd' } });
  });
});

describe('isUnder', () => {
  it('compares whole path components', () => {
    expect(isUnder('/etc/nginx/a.conf', '/etc/nginx')).toBe(true);
    expect(isUnder('/etc/nginxx/a.conf', '/etc/nginx')).toBe(false);
    expect(isUnder('/etc/nginx', '/etc/nginx')).toBe(false);
    expect(isUnder('/x', '/')).toBe(true);
  });
});

describe('clipToRoots', () => {
  it('keeps directories inside the roots, narrows those above them and drops the rest', () => {
    const roots = ['/etc/nginx', '/srv/app'];
    expect(clipToRoots(['/etc/nginx/conf.d'], roots)).toEqual(['/etc/nginx/conf.d']);
    expect(clipToRoots(['/'], roots).sort()).toEqual(['/etc/nginx', '/srv/app']);
    expect(clipToRoots(['/etc'], roots)).toEqual(['/etc/nginx']);
    expect(clipToRoots(['/var/log', '/etc/nginxx'], roots)).toEqual([]);
  });
});
