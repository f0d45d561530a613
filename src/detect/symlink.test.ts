import { describe, expect, it } from 'vitest';
import { remotePathFromBytes } from '../transport/remote-path.js';
import { dirsBelow, linkHash, resolveLinkTarget, rootOf } from './symlink.js';

describe('resolveLinkTarget', () => {
  it('resolves relative targets against the link directory and folds . and ..', () => {
    expect(resolveLinkTarget('/etc/nginx/sites-enabled/default', '../sites-available/default')).toBe('/etc/nginx/sites-available/default');
    expect(resolveLinkTarget('/srv/app/.env', '/etc/shadow')).toBe('/etc/shadow');
    expect(resolveLinkTarget('/srv/a.conf', './b/./c.conf')).toBe('/srv/b/c.conf');
    expect(resolveLinkTarget('/srv/a.conf', '../../../../dev/zero')).toBe('/dev/zero');
    expect(resolveLinkTarget('/a', '..')).toBe('/');
  });

  it('keeps bytes that are not UTF-8', () => {
    const target = remotePathFromBytes(Buffer.from([0x78, 0xff]));
    expect(resolveLinkTarget('/srv/l', target)).toBe(remotePathFromBytes(Buffer.from([0x2f, 0x73, 0x72, 0x76, 0x2f, 0x78, 0xff])));
  });

  it('gives a different link hash per target', () => {
    expect(linkHash('/dev/zero')).not.toBe(linkHash('/dev/null'));
    expect(linkHash('/dev/zero')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('rootOf and dirsBelow', () => {
  it('names the deepest watched root above a path, comparing whole names', () => {
    expect(rootOf('/srv/app/x/y.conf', ['/srv', '/srv/app', '/etc'])).toBe('/srv/app');
    expect(rootOf('/srv/application/y.conf', ['/srv/app'])).toBeUndefined();
    expect(rootOf('/srv/app', ['/srv/app'])).toBeUndefined();
    expect(rootOf('/etc/x', ['/'])).toBe('/');
  });

  it('lists the directories between a root and a file, outermost first', () => {
    expect(dirsBelow('/srv/app', '/srv/app/a/b/c.conf')).toEqual(['/srv/app/a', '/srv/app/a/b']);
    expect(dirsBelow('/srv/app', '/srv/app/c.conf')).toEqual([]);
    expect(dirsBelow('/', '/etc/nginx/x')).toEqual(['/etc', '/etc/nginx']);
  });
});
