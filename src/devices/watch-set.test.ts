import { describe, expect, it } from 'vitest';
import type { ProfileRecord } from '../store/records.js';
import { sh } from '../transport/quote.js';
import type { ExecResult, Transport } from '../transport/transport.js';
import { builtinProfile } from './profiles.js';
import { collapseRoots, compileWatchSet, globRoot, lastSegmentPatterns, splitNul } from './watch-set.js';

const profile = (name: string, paths: string[], extra: Partial<ProfileRecord> = {}): ProfileRecord => ({
  ...(builtinProfile('nginx') as Omit<ProfileRecord, 'device'>),
  device: 'd1',
  name,
  configType: null,
  paths,
  exclude: [],
  ...extra,
});

const builtin = (name: string): ProfileRecord => ({
  ...(builtinProfile(name) as Omit<ProfileRecord, 'device'>),
  device: 'd1',
});

describe('compileWatchSet.match', () => {
  it('matches ** across any depth, including zero directories', () => {
    const set = compileWatchSet([builtin('nginx')]);
    expect(set.match('/etc/nginx/nginx.conf')?.profile.name).toBe('nginx');
    expect(set.match('/etc/nginx/conf.d/a/b/x.conf')?.configType).toBe('nginx');
    expect(set.match('/etc/nginx/mime.types')).toBeNull();
    expect(set.match('/etc/nginxx/nginx.conf')).toBeNull();
  });

  it('supports ?, {a,b} and character classes', () => {
    const set = compileWatchSet([profile('custom', ['/srv/app?/{a,b}.conf', '/opt/[xy]z/*.env'])]);
    expect(set.match('/srv/app1/a.conf')).not.toBeNull();
    expect(set.match('/srv/app1/b.conf')).not.toBeNull();
    expect(set.match('/srv/app12/a.conf')).toBeNull();
    expect(set.match('/srv/app1/c.conf')).toBeNull();
    expect(set.match('/opt/xz/prod.env')).not.toBeNull();
    expect(set.match('/opt/az/prod.env')).toBeNull();
  });

  it('matches dot files (dot: true)', () => {
    const set = compileWatchSet([builtin('compose')]);
    expect(set.match('/opt/stacks/web/.env')?.profile.name).toBe('compose');
    expect(set.match('/srv/a/b/docker-compose.yml')).not.toBeNull();
  });

  it('applies default excludes (swap files, backups, .git internals) and profile excludes', () => {
    const set = compileWatchSet([profile('custom', ['/srv/**'], { exclude: ['*.bak', '/srv/private/**'] })]);
    expect(set.match('/srv/app.conf')).not.toBeNull();
    for (const path of ['/srv/.app.conf.swp', '/srv/app.conf~', '/srv/.#app.conf', '/srv/4913', '/srv/repo/.git/config', '/srv/x.bak', '/srv/private/key']) {
      expect(set.match(path), path).toBeNull();
      expect(set.isExcluded(path), path).toBe(true);
    }
  });

  it('gives the path to the first matching profile', () => {
    const set = compileWatchSet([profile('first', ['/etc/a/*.conf'], { configType: 'sshd' }), profile('second', ['/etc/**'])]);
    expect(set.match('/etc/a/x.conf')?.profile.name).toBe('first');
    expect(set.match('/etc/b/x.conf')?.profile.name).toBe('second');
  });

  it('falls through to a later profile when the first excludes the path', () => {
    const set = compileWatchSet([profile('first', ['/etc/**'], { exclude: ['*.conf'] }), profile('second', ['/etc/**/*.conf'])]);
    expect(set.match('/etc/x.conf')?.profile.name).toBe('second');
  });

  it('matches names with line terminators under ** and *', () => {
    const set = compileWatchSet([profile('custom', ['/srv/**']), profile('other', ['/etc/*.conf'])]);
    expect(set.match('/srv/new\nline.conf')?.profile.name).toBe('custom');
    expect(set.match('/srv/a\r\u2028b')?.profile.name).toBe('custom');
    expect(set.match('/etc/new\nline.conf')?.profile.name).toBe('other');
    expect(set.match('/etc/x/new\nline.conf')).toBeNull();
  });

  it('matches names that are not UTF-8 by their displayed form', () => {
    const set = compileWatchSet([profile('custom', ['/srv/*.conf'])]);
    const name = `b64:${Buffer.concat([Buffer.from('/srv/'), Buffer.from([0xff, 0xfe]), Buffer.from('.conf')]).toString('base64')}`;
    expect(set.match(name)).not.toBeNull();
  });
});

describe('configTypeFor', () => {
  it('uses the forced type, else detects from the name, and generic when unwatched', () => {
    const set = compileWatchSet([builtin('sshd'), profile('custom', ['/srv/**'])]);
    expect(set.configTypeFor('/etc/ssh/sshd_config', null)).toBe('sshd');
    expect(set.configTypeFor('/srv/a/compose.yaml', Buffer.from('services: {}'))).toBe('compose');
    expect(set.configTypeFor('/srv/a/web.service', null)).toBe('systemd');
    expect(set.configTypeFor('/srv/a/notes.txt', null)).toBe('generic');
    expect(set.configTypeFor('/elsewhere/compose.yaml', null)).toBe('generic');
  });

  it('uses an injected detector for detect-per-file profiles', () => {
    const set = compileWatchSet([profile('custom', ['/srv/**'])], () => 'nginx');
    expect(set.configTypeFor('/srv/site.conf', Buffer.from('server {}'))).toBe('nginx');
  });
});

describe('roots', () => {
  it('takes the deepest glob-free directory of each glob', () => {
    expect(globRoot('/etc/nginx/**/*.conf')).toBe('/etc/nginx');
    expect(globRoot('/etc/ssh/sshd_config')).toBe('/etc/ssh');
    expect(globRoot('/etc/nginx/sites-*/*')).toBe('/etc/nginx');
    expect(globRoot('/*.conf')).toBe('/');
  });

  it('drops roots inside other roots and duplicates', () => {
    expect(collapseRoots(['/etc/ssh', '/etc/ssh/sshd_config.d', '/etc/nginx', '/etc/nginx', '/etc/nginxx'])).toEqual([
      '/etc/nginx',
      '/etc/nginxx',
      '/etc/ssh',
    ]);
    expect(collapseRoots(['/', '/etc'])).toEqual(['/']);
  });

  it('collapses the built-in profiles to a few directories', () => {
    const set = compileWatchSet([builtin('nginx'), builtin('sshd'), builtin('systemd')]);
    expect(set.roots()).toEqual(['/etc/nginx', '/etc/ssh', '/etc/systemd/system']);
  });

  it('resolves missing roots to their deepest existing ancestor in one round trip', async () => {
    const scripts: Buffer[] = [];
    const transport: Pick<Transport, 'run'> = {
      async run(script): Promise<ExecResult> {
        scripts.push(script.bytes);
        return { code: 0, stdout: Buffer.from('/etc/nginx\0/etc\0'), stderr: Buffer.alloc(0) };
      },
    };
    const set = compileWatchSet([builtin('nginx'), builtin('sshd')]);
    expect(await set.rootsExisting(transport)).toEqual(['/etc']);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]?.includes(sh`${'/etc/ssh'}`.bytes)).toBe(true);
  });
});

describe('maxFileBytes and name patterns', () => {
  it('returns the matching profile limit, else the default', () => {
    const set = compileWatchSet([profile('custom', ['/srv/*.conf'], { maxFileBytes: 10 })]);
    expect(set.maxFileBytes('/srv/a.conf')).toBe(10);
    expect(set.maxFileBytes('/other')).toBe(1024 * 1024);
  });

  it('expands one level of braces and refuses ** in the last segment', () => {
    expect(lastSegmentPatterns(['/a/**/*.{service,timer}', '/b/x.conf'])).toEqual(['*.service', '*.timer', 'x.conf']);
    expect(lastSegmentPatterns(['/a/**'])).toBeNull();
    expect(lastSegmentPatterns(['/a/*.{a,{b,c}}'])).toBeNull();
  });

  it('splits NUL-terminated records', () => {
    expect(splitNul(Buffer.from('a\0b\nc\0\0')).map(String)).toEqual(['a', 'b\nc', '']);
  });
});
