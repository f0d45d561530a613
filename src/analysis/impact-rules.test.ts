import { describe, expect, it } from 'vitest';
import { type Change, change } from './change.js';
import { FALLBACK_RULE, IMPACT_RULES, type RuleContext, rulesFor } from './impact-rules.js';
import type { RiskLevel } from './risk-level.js';

const compose: RuleContext = { type: 'compose', path: '/opt/stacks/app/compose.yaml' };
const nginx: RuleContext = { type: 'nginx', path: '/config/nginx/proxy-confs/app.subdomain.conf' };
const systemd: RuleContext = { type: 'systemd', path: '/etc/systemd/system/app.service' };
const sshd: RuleContext = { type: 'sshd', path: '/etc/ssh/sshd_config' };
const env: RuleContext = { type: 'env', path: '/opt/stacks/app/.env' };

/** One case per rule id: a change it must match, in a context, and the level it gives. */
const CASES: Record<string, { change: Change; ctx: RuleContext; level: RiskLevel }> = {
  'whitespace-or-comments': { change: change('whitespace_or_comments.only'), ctx: nginx, level: 'LOW' },
  'env-changed': { change: change('env.changed', { key: 'TZ', change: 'modified' }, 'web'), ctx: compose, level: 'MEDIUM' },
  'image-retag': { change: change('image.changed', { from: 'nginx:1.26', to: 'nginx:1.27' }, 'web'), ctx: compose, level: 'MEDIUM' },
  'image-floating': { change: change('image.changed', { from: 'nginx:1.26', to: 'nginx:latest' }, 'web'), ctx: compose, level: 'HIGH' },
  'auth-bypassed-by-exposure': {
    change: change('port.added', { port: '8989:8989/tcp', allInterfaces: true, guardedBy: ['sonarr.*'] }, 'sonarr'),
    ctx: compose,
    level: 'CRITICAL',
  },
  'port-all-interfaces': { change: change('port.added', { port: '8080:80/tcp', allInterfaces: true }, 'web'), ctx: compose, level: 'HIGH' },
  'port-changed': { change: change('port.added', { port: '127.0.0.1:8080:80/tcp', allInterfaces: false }, 'web'), ctx: compose, level: 'MEDIUM' },
  'service-removed': { change: change('service.removed', { service: 'web' }, 'web'), ctx: compose, level: 'HIGH' },
  'service-added': { change: change('service.added', { service: 'web' }, 'web'), ctx: compose, level: 'MEDIUM' },
  'server-removed': { change: change('server.removed', { server: 'a.example.com' }), ctx: nginx, level: 'HIGH' },
  'server-added': { change: change('server.added', { server: 'a.example.com' }), ctx: nginx, level: 'MEDIUM' },
  'ssl-disabled': { change: change('ssl.disabled', { server: 'a.example.com' }), ctx: nginx, level: 'HIGH' },
  'listen-changed': { change: change('listen.changed', { server: 'a', added: ['8443 ssl'], removed: ['443 ssl'] }), ctx: nginx, level: 'HIGH' },
  'proxy-pass-changed': { change: change('proxy_pass.changed', { server: 'a', location: '/', app: 'b', from: 'http://a:1', to: 'http://b:1' }), ctx: nginx, level: 'MEDIUM' },
  'upstream-changed': { change: change('upstream.server.changed', { upstream: 'b', added: ['c:1'], removed: [] }), ctx: nginx, level: 'MEDIUM' },
  'auth-bypassed': { change: change('auth.bypassed', { server: 'a', location: '/api', hosts: ['a'], app: 'app' }), ctx: nginx, level: 'CRITICAL' },
  'auth-added': { change: change('auth.added', { server: 'a', location: '/', hosts: ['a'], added: ['auth_basic x'] }), ctx: nginx, level: 'LOW' },
  'tls-downgraded': { change: change('tls.downgraded', { added: ['TLSv1'], removed: [], weak: ['TLSv1'] }), ctx: nginx, level: 'HIGH' },
  'tls-changed': { change: change('tls.changed', { added: [], removed: ['TLSv1.2'], weak: [] }), ctx: nginx, level: 'MEDIUM' },
  'include-changed': { change: change('include.changed', { server: 'a', added: [], removed: ['/config/nginx/ssl.conf'] }), ctx: nginx, level: 'MEDIUM' },
  'unit-ordering-changed': { change: change('dependency.changed', { key: 'After', added: ['network-online.target'], removed: [] }, 'app.service'), ctx: systemd, level: 'MEDIUM' },
  'network-mode-host': { change: change('network_mode.changed', { from: null, to: 'host' }, 'web'), ctx: compose, level: 'HIGH' },
  'permit-empty-passwords': { change: change('setting.changed', { key: 'permitemptypasswords', from: null, to: 'yes' }), ctx: sshd, level: 'CRITICAL' },
  'hardening-weakened': { change: change('hardening.changed', { key: 'NoNewPrivileges', from: 'yes', to: null, weakened: true }, 'app.service'), ctx: systemd, level: 'HIGH' },
  'hardening-changed': { change: change('hardening.changed', { key: 'ProtectSystem', from: 'full', to: 'strict', weakened: false }, 'app.service'), ctx: systemd, level: 'MEDIUM' },
  'parse-still-failing': { change: change('parse.still_failed', { errors: 1, message: 'unexpected "}"', line: 3 }), ctx: nginx, level: 'MEDIUM' },
  'env-unused': { change: change('env.changed', { key: 'X', change: 'modified', used: false, composeFile: '/a/compose.yaml' }), ctx: env, level: 'LOW' },
  'auth-removed': { change: change('auth.removed', { server: 'a', location: '/', removed: ['auth_request /auth'] }), ctx: nginx, level: 'CRITICAL' },
  'header-changed': { change: change('header.changed', { server: 'a', added: ['add_header X-Frame-Options DENY'], removed: [] }), ctx: nginx, level: 'MEDIUM' },
  'location-changed': { change: change('location.changed', { server: 'a', added: ['/api'], removed: [] }), ctx: nginx, level: 'MEDIUM' },
  'exec-changed': { change: change('exec.changed', { from: ['/bin/a'], to: ['/bin/b'] }, 'app.service'), ctx: systemd, level: 'HIGH' },
  'user-changed': { change: change('user.changed', { from: 'app', to: 'root' }, 'app.service'), ctx: systemd, level: 'HIGH' },
  'dependency-changed': { change: change('dependency.changed', { key: 'Requires', added: ['db.service'], removed: [] }, 'app.service'), ctx: systemd, level: 'HIGH' },
  'cap-add-changed': { change: change('cap_add.changed', { added: ['NET_ADMIN'], removed: [] }, 'web'), ctx: compose, level: 'HIGH' },
  privileged: { change: change('privileged.enabled', {}, 'web'), ctx: compose, level: 'CRITICAL' },
  'docker-socket-writable': { change: change('docker_socket.mounted', { readOnly: false }, 'web'), ctx: compose, level: 'CRITICAL' },
  'docker-socket-read-only': { change: change('docker_socket.mounted', { readOnly: true }, 'web'), ctx: compose, level: 'HIGH' },
  'volume-changed': { change: change('volume.added', { source: './data', target: '/data' }, 'web'), ctx: compose, level: 'MEDIUM' },
  'permit-root-login': { change: change('setting.changed', { key: 'permitrootlogin', from: 'no', to: 'yes' }), ctx: sshd, level: 'CRITICAL' },
  'password-authentication': { change: change('setting.changed', { key: 'passwordauthentication', from: 'no', to: 'yes' }), ctx: sshd, level: 'CRITICAL' },
  'sshd-setting': { change: change('setting.changed', { key: 'port', from: '22', to: '2222' }), ctx: sshd, level: 'MEDIUM' },
  'config-deleted': { change: change('file.deleted'), ctx: systemd, level: 'HIGH' },
  'parse-failed': { change: change('parse.failed', { errors: 1, message: 'unexpected "}"', line: 3 }), ctx: nginx, level: 'HIGH' },
  'file-created': { change: change('file.created'), ctx: compose, level: 'MEDIUM' },
  'other-change': { change: change('restart.changed', { from: 'no', to: 'always' }, 'web'), ctx: compose, level: 'MEDIUM' },
};

describe('impact rule table', () => {
  it('has a test case for every rule id, and ids are unique', () => {
    const ids = [...IMPACT_RULES, FALLBACK_RULE].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !CASES[id])).toEqual([]);
  });

  for (const rule of [...IMPACT_RULES, FALLBACK_RULE]) {
    it(`rule ${rule.id}`, () => {
      const c = CASES[rule.id];
      expect(c, `no test case for rule ${rule.id}`).toBeDefined();
      const applied = rulesFor(c!.change, c!.ctx);
      expect(applied.map((r) => r.id)).toContain(rule.id);
      expect(rule.level).toBe(c!.level);
      expect(rule.reason(c!.change)).toMatch(/\S/);
    });
  }

  it('sets no restart or reload for whitespace-only changes and for files that no longer parse', () => {
    for (const id of ['whitespace-or-comments', 'parse-failed', 'parse-still-failing', 'env-unused']) {
      const rule = IMPACT_RULES.find((r) => r.id === id)!;
      expect([rule.restart, rule.reload]).toEqual([false, false]);
    }
  });

  it('does not treat a pinned digest or a registry port as floating', () => {
    const floating = (to: string) => rulesFor(change('image.changed', { from: 'a:1', to }), compose).map((r) => r.id);
    expect(floating('ghcr.io/x/y@sha256:abc')).toEqual(['image-retag']);
    expect(floating('registry:5000/app')).toEqual(['image-floating']);
    expect(floating('registry:5000/app:2.1')).toEqual(['image-retag']);
  });

  it('judges a removed sshd line by the default sshd then uses', () => {
    const ids = (key: string) => rulesFor(change('setting.changed', { key, from: 'no', to: null }), sshd).map((r) => r.id);
    expect(ids('passwordauthentication')).toEqual(['password-authentication']);
    expect(ids('permitrootlogin')).toEqual(['sshd-setting']);
  });

  it('judges PermitRootLogin prohibit-password as an ordinary setting change', () => {
    const ids = rulesFor(change('setting.changed', { key: 'permitrootlogin', from: 'no', to: 'prohibit-password' }), sshd).map((r) => r.id);
    expect(ids).toEqual(['sshd-setting']);
  });
});
