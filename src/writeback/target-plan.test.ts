import { describe, expect, it } from 'vitest';
import { type Ancestor, ancestorsOf, decideWriter, NOGROUP } from './target-plan.js';

/** An lstat mark: raw mode (type and bits), uid, gid. */
const dir = (path: string, mode: number, uid = 0, gid = 0): Ancestor => ({ path, mark: `${(0o040000 | mode).toString(16)} ${uid} ${gid} 2049:${path.length}` });
const link = (path: string): Ancestor => ({ path, mark: `${(0o120000 | 0o777).toString(16)} 0 0 2049:1` });
const missing = (path: string): Ancestor => ({ path, mark: null });
const root = { uid: 0, setpriv: true };

describe('decideWriter', () => {
  it('lists ancestors from / to the parent', () => {
    expect(ancestorsOf('/etc/nginx/conf.d/x.conf')).toEqual(['/', '/etc', '/etc/nginx', '/etc/nginx/conf.d']);
  });

  it('writes as the login user when only root can change the directories', () => {
    expect(decideWriter([dir('/', 0o755), dir('/etc', 0o755)], root)).toEqual({ ok: true, writer: null });
  });

  it('writes as the owner of a user-owned directory, with its group (never root group)', () => {
    const chain = [dir('/', 0o755), dir('/srv', 0o755), dir('/srv/conf', 0o775, 1000, 1000)];
    expect(decideWriter(chain, root, { uid: 1000, gid: 1000 })).toEqual({ ok: true, writer: { uid: 1000, gid: 1000 } });
    expect(decideWriter([dir('/', 0o755), dir('/srv', 0o755, 1000, 0)], root)).toEqual({ ok: true, writer: { uid: 1000, gid: NOGROUP } });
  });

  it('lets sticky /tmp shield a directory below it, but not its own files', () => {
    expect(decideWriter([dir('/', 0o755), dir('/tmp', 0o1777), dir('/tmp/app', 0o755)], root)).toEqual({ ok: true, writer: null });
    expect(decideWriter([dir('/', 0o755), dir('/tmp', 0o1777), dir('/tmp/app', 0o755, 1000, 1000)], root)).toEqual({ ok: true, writer: { uid: 1000, gid: 1000 } });
    expect(decideWriter([dir('/', 0o755), dir('/tmp', 0o1777)], root)).toMatchObject({ ok: false, reason: '/tmp is writable by every user' });
    expect(decideWriter([dir('/', 0o755), dir('/tmp', 0o1777), missing('/tmp/new')], root)).toMatchObject({ ok: false });
  });

  it('refuses links, group- or world-writable directories, two users, a foreign owner, no setpriv, no root', () => {
    const refused = (chain: Ancestor[], session = root, owner = {}) => {
      const d = decideWriter(chain, session, owner);
      return d.ok ? null : d.reason;
    };
    expect(refused([dir('/', 0o755), link('/etc')])).toBe('/etc is a symbolic link');
    expect(refused([dir('/', 0o755), dir('/etc', 0o777)])).toBe('/etc is writable by every user');
    expect(refused([dir('/', 0o755), dir('/etc', 0o775, 0, 50)])).toBe('/etc is writable by group 50, not by one user confwatch could write as');
    expect(refused([dir('/', 0o755), dir('/a', 0o755, 1000, 1000), dir('/a/b', 0o755, 1001, 1001)])).toContain('writable by different users (uid 1000 and 1001)');
    const user = [dir('/', 0o755), dir('/a', 0o755, 1000, 1000)];
    expect(refused(user, root, { uid: 0, gid: 0 })).toBe('/a is writable by uid 1000 but the file belongs to uid 0; confwatch writes there only as uid 1000');
    expect(refused(user, { uid: 0, setpriv: false })).toBe('/a is writable by uid 1000 and the host has no setpriv to write as that user');
    expect(refused(user, { uid: 1001, setpriv: true })).toBe('/a is writable by uid 1000; writing there as that user needs root or --sudo');
    // the login user's own tree is trusted
    expect(decideWriter(user, { uid: 1000, setpriv: false })).toEqual({ ok: true, writer: null });
  });
});
