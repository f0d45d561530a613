import { describe, expect, it } from 'vitest';
import { builtinProfile, resolveProfiles } from './profiles.js';
import { compileWatchSet } from './watch-set.js';

const rows = (...profiles: string[]) => resolveProfiles('d1', { profiles, watch: [], exclude: [] });
const typeOf = (profiles: string[], path: string, content = '') => compileWatchSet(rows(...profiles)).configTypeFor(path, Buffer.from(content));

describe('built-in profiles', () => {
  it('honour their roots', () => {
    expect(rows('systemd:/srv/units')[0]!.paths.every((p) => p.startsWith('/srv/units/'))).toBe(true);
    expect(rows('sshd:/opt/ssh')[0]!.paths).toEqual(['/opt/ssh/sshd_config', '/opt/ssh/sshd_config.d/*.conf']);
    expect(rows('nginx:/usr/local/nginx')[0]!.paths).toEqual(['/usr/local/nginx/**/*.conf', '/usr/local/nginx/sites-*/*']);
    expect(rows('compose:/a,/b/')[0]!.paths.filter((p) => p.includes('/**/compose.'))).toEqual(['/a/**/compose.y*ml', '/b/**/compose.y*ml']);
    expect(builtinProfile('sshd')!.paths).toEqual(['/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d/*.conf']);
  });

  it('swag tracks nginx.conf, site-confs and the snippets proxy confs include, and maps /config to its root', () => {
    const [swag] = rows('swag:/srv/swag');
    const set = compileWatchSet([swag!]);
    for (const path of [
      '/srv/swag/nginx/nginx.conf',
      '/srv/swag/nginx/site-confs/default.conf',
      '/srv/swag/nginx/proxy-confs/radarr.subdomain.conf',
      '/srv/swag/nginx/ssl.conf',
      '/srv/swag/nginx/proxy.conf',
      '/srv/swag/nginx/resolver.conf',
      '/srv/swag/nginx/authelia-location.conf',
      '/srv/swag/nginx/authentik-server.conf',
      '/srv/swag/nginx/tinyauth-location.conf',
      '/srv/swag/nginx/ldap-server.conf',
    ]) {
      expect(set.match(path)?.profile.name, path).toBe('swag');
    }
    expect(set.match('/srv/swag/nginx/proxy-confs/radarr.subdomain.conf.sample')).toBeNull();
    expect(set.configTypeFor('/srv/swag/nginx/resolver.conf', Buffer.from('resolver 127.0.0.11 valid=30s;\n'))).toBe('nginx');
    expect(swag!.pathMappings).toEqual([{ container: '/config', host: '/srv/swag' }]);
    expect(rows('swag')[0]!.pathMappings).toEqual([]);
  });

  it('types .env files under the compose profile as env, compose files as compose', () => {
    expect(typeOf(['compose:/srv'], '/srv/app/.env', 'TOKEN=x\n')).toBe('env');
    expect(typeOf(['compose:/srv'], '/srv/app/compose.yaml', 'services: {}\n')).toBe('compose');
  });

  it('refuses roots and globs that are not absolute paths', () => {
    expect(() => rows('compose:-delete')).toThrow(/^profile root "-delete" of compose must be an absolute path/);
    expect(() => rows('systemd:')).toThrow(/must be an absolute path/);
    expect(() => rows('swag:/srv/../etc')).toThrow(/must be an absolute path/);
    expect(() => resolveProfiles('d1', { profiles: [], watch: ['-name'], exclude: [] })).toThrow(/watch glob "-name" must be an absolute path/);
  });

  it('carries requireValidation to every profile it makes', () => {
    const made = resolveProfiles('d1', { profiles: ['nginx'], watch: ['/srv/frag/*.conf'], exclude: [], requireValidation: true });
    expect(made.map((p) => p.requireValidation)).toEqual([true, true]);
  });
});
