import { describe, expect, it } from 'vitest';
import { detectConfigType } from './detect-type.js';

const nginx = Buffer.from('# proxy\nserver {\n    listen 443 ssl;\n    location / { proxy_pass http://app:80; }\n}\n');

describe('detectConfigType', () => {
  it('recognises compose files by name', () => {
    for (const path of ['/opt/stacks/app/compose.yaml', '/srv/docker-compose.yml', '/x/compose.yml', '/x/docker-compose.yaml']) {
      expect(detectConfigType(path), path).toBe('compose');
    }
    expect(detectConfigType('/x/compose.override.yaml')).toBe('generic');
  });

  it('recognises systemd units and their drop-ins', () => {
    for (const suffix of ['service', 'socket', 'timer', 'mount', 'path', 'target', 'slice', 'scope', 'automount', 'swap']) {
      expect(detectConfigType(`/etc/systemd/system/foo.${suffix}`)).toBe('systemd');
    }
    expect(detectConfigType('/etc/systemd/system/nginx.service.d/override.conf')).toBe('systemd');
    expect(detectConfigType('/home/u/app.service.d/override.conf')).toBe('generic');
  });

  it('recognises sshd_config and its drop-ins', () => {
    expect(detectConfigType('/etc/ssh/sshd_config')).toBe('sshd');
    expect(detectConfigType('/etc/ssh/sshd_config.d/50-cloud-init.conf')).toBe('sshd');
    expect(detectConfigType('/etc/ssh/ssh_config')).toBe('generic');
  });

  it('calls a .conf nginx only when its content looks like nginx', () => {
    expect(detectConfigType('/config/nginx/proxy-confs/app.subdomain.conf', nginx)).toBe('nginx');
    expect(detectConfigType('/etc/nginx/snippets/ssl.conf', Buffer.from('ssl_certificate /a.pem;\nssl_protocols TLSv1.3;\n'))).toBe('nginx');
    expect(detectConfigType('/etc/sysctl.conf', Buffer.from('# server { is only a comment here\nnet.ipv4.ip_forward = 1\n'))).toBe('generic');
    expect(detectConfigType('/etc/app.conf')).toBe('generic');
    expect(detectConfigType('/etc/nginx/site.txt', nginx)).toBe('generic');
  });

  it('reads SWAG snippets without blocks as nginx', () => {
    const snippet = (text: string) => detectConfigType('/srv/swag/nginx/resolver.conf', Buffer.from(text));
    expect(snippet('# generated at start\nresolver 127.0.0.11 valid=30s;\n')).toBe('nginx');
    expect(snippet('worker_processes 4;\n')).toBe('nginx');
    expect(snippet('## Version 2025\nproxy_buffers 32 4k;\nproxy_http_version 1.1;\n')).toBe('nginx');
    expect(snippet('auth_request /authelia;\nauth_request_set $user $upstream_http_remote_user;\n')).toBe('nginx');
    expect(snippet('key = value\nset = x\n')).toBe('generic');
  });

  it('types .env files as env under any profile', () => {
    for (const path of ['/opt/app/.env', '/srv/stack/.env.production', '/etc/default/app.env']) expect(detectConfigType(path), path).toBe('env');
    expect(detectConfigType('/opt/app/.envrc')).toBe('generic');
  });

  it('leaves everything else generic', () => {
    expect(detectConfigType('/etc/app/config.json')).toBe('generic');
  });
});
