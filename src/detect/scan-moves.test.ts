import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../hash.js';
import { confirmsMove, type KnownFile, type ListedFile, pairScanMoves } from './scan-moves.js';

const HASH = sha256Hex(Buffer.from('listen 80;\n'));
const OTHER = sha256Hex(Buffer.from('listen 81;\n'));

const known = (path: string, extra: Partial<KnownFile> = {}): KnownFile => ({
  path,
  ino: 5,
  size: 11,
  mtimeMs: 1_000,
  contentHash: HASH,
  deleted: false,
  ...extra,
});

const listedAt = (path: string, extra: Partial<ListedFile> = {}): ListedFile => ({ path, ino: 5, size: 11, mtimeMs: 1_000, hash: HASH, ...extra });

/** The pairs as new path → old path. */
function pairs(listed: ListedFile[], tracked: KnownFile[]): Record<string, string> {
  const names = new Set(listed.map((l) => l.path));
  const vanished = tracked.filter((t) => !t.deleted && !names.has(t.path));
  return Object.fromEntries([...pairScanMoves({ listed, tracked, vanished })].map(([to, from]) => [to, from.path]));
}

describe('pairScanMoves', () => {
  it('pairs a vanished file with the new path holding its inode and hash', () => {
    expect(pairs([listedAt('/srv/b.conf')], [known('/srv/a.conf')])).toEqual({ '/srv/b.conf': '/srv/a.conf' });
  });

  it('pairs a new hard link whose old name was removed (a rename in two steps)', () => {
    expect(pairs([listedAt('/srv/link.conf')], [known('/srv/a.conf')])).toEqual({ '/srv/link.conf': '/srv/a.conf' });
  });

  it('pairs on size and mtime when the listing did not hash the new path', () => {
    expect(pairs([listedAt('/srv/b.conf', { hash: null })], [known('/srv/a.conf')])).toEqual({ '/srv/b.conf': '/srv/a.conf' });
    expect(pairs([listedAt('/srv/b.conf', { hash: null, mtimeMs: 2_000 })], [known('/srv/a.conf')])).toEqual({});
    expect(pairs([listedAt('/srv/b.conf', { hash: null, size: 12 })], [known('/srv/a.conf')])).toEqual({});
  });

  it('does not pair a copy whose original was deleted (another inode)', () => {
    expect(pairs([listedAt('/srv/b.conf', { ino: 6 })], [known('/srv/a.conf')])).toEqual({});
  });

  it('does not pair a renamed file whose content changed too', () => {
    expect(pairs([listedAt('/srv/b.conf', { hash: OTHER })], [known('/srv/a.conf')])).toEqual({});
  });

  it('keeps delete + create when several listed files share the inode (hard links)', () => {
    expect(pairs([listedAt('/srv/b.conf'), listedAt('/srv/c.conf')], [known('/srv/a.conf')])).toEqual({});
  });

  it('keeps delete + create when several tracked files had the inode', () => {
    // both names of a hard link gone, one new name: which one moved is a guess
    expect(pairs([listedAt('/srv/c.conf')], [known('/srv/a.conf'), known('/srv/b.conf')])).toEqual({});
    // another live file still has the inode (a hard link, or the same number on another filesystem)
    expect(pairs([listedAt('/srv/c.conf'), listedAt('/mnt/x.conf', { hash: OTHER })], [known('/srv/a.conf'), known('/mnt/x.conf', { contentHash: OTHER })])).toEqual({});
  });

  it('does not pair with a file that was already tracked under that inode', () => {
    // b is a hard link of a that was tracked before a vanished: b did not appear
    expect(pairs([listedAt('/srv/b.conf')], [known('/srv/a.conf', { ino: 5 }), known('/srv/b.conf', { ino: 5 })])).toEqual({});
  });

  it('pairs a rename over a tracked file (the target now has the vanished inode)', () => {
    expect(pairs([listedAt('/srv/b.conf')], [known('/srv/a.conf'), known('/srv/b.conf', { ino: 9, contentHash: OTHER })])).toEqual({
      '/srv/b.conf': '/srv/a.conf',
    });
  });

  it('pairs onto a path whose earlier file was deleted', () => {
    expect(pairs([listedAt('/srv/b.conf')], [known('/srv/a.conf'), known('/srv/b.conf', { deleted: true, ino: null, contentHash: null })])).toEqual({
      '/srv/b.conf': '/srv/a.conf',
    });
  });

  it('needs a known inode and hash on the vanished side', () => {
    expect(pairs([listedAt('/srv/b.conf')], [known('/srv/a.conf', { ino: null })])).toEqual({});
    expect(pairs([listedAt('/srv/b.conf', { hash: null })], [known('/srv/a.conf', { contentHash: null })])).toEqual({});
  });

  it('pairs many independent renames one to one', () => {
    const tracked = Array.from({ length: 50 }, (_, i) => known(`/srv/old${i}.conf`, { ino: 100 + i, contentHash: sha256Hex(Buffer.from(String(i))) }));
    const listed = Array.from({ length: 50 }, (_, i) => listedAt(`/srv/new${i}.conf`, { ino: 100 + i, hash: sha256Hex(Buffer.from(String(i))) }));
    const found = pairs(listed, tracked);
    expect(Object.keys(found)).toHaveLength(50);
    expect(found['/srv/new7.conf']).toBe('/srv/old7.conf');
  });
});

describe('confirmsMove', () => {
  const stat = { path: '/srv/b.conf', type: 'file', size: 11, mode: 0o644, uid: 0, gid: 0, mtimeMs: 1_000, ino: 5 } as const;

  it('accepts bytes or a hash equal to the vanished file', () => {
    expect(confirmsMove({ kind: 'content', stat, content: Buffer.from('listen 80;\n') }, { contentHash: HASH })).toBe(true);
    expect(confirmsMove({ kind: 'hash-only', stat, hash: HASH }, { contentHash: HASH })).toBe(true);
  });

  it('refuses other bytes, an unknown hash, or a file gone or unreadable by now', () => {
    expect(confirmsMove({ kind: 'content', stat, content: Buffer.from('listen 81;\n') }, { contentHash: HASH })).toBe(false);
    expect(confirmsMove({ kind: 'hash-only', stat, hash: null }, { contentHash: HASH })).toBe(false);
    expect(confirmsMove({ kind: 'missing' }, { contentHash: HASH })).toBe(false);
    expect(confirmsMove({ kind: 'unreadable', message: 'denied' }, { contentHash: HASH })).toBe(false);
  });
});
