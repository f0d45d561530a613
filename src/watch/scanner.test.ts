import { describe, expect, it } from 'vitest';
import type { ListingEntry } from '../detect/poll-script.js';
import type { TrackedFileRecord } from '../store/records.js';
import { isUnder, judge } from './scanner.js';

const HASH = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

/** The stat both the listing entry and the tracked record start from, so that by default they match. */
const STAT = { size: 10, mtimeMs: 1_000, ino: 5, mode: 0o644, uid: 0, gid: 0 };

const entry = (extra: Partial<ListingEntry> = {}): ListingEntry => ({
  path: '/srv/a.conf',
  type: 'file',
  ...STAT,
  hash: null,
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

describe('isUnder', () => {
  it('compares whole path components', () => {
    expect(isUnder('/etc/nginx/a.conf', '/etc/nginx')).toBe(true);
    expect(isUnder('/etc/nginxx/a.conf', '/etc/nginx')).toBe(false);
    expect(isUnder('/etc/nginx', '/etc/nginx')).toBe(false);
    expect(isUnder('/x', '/')).toBe(true);
  });
});
