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

  it('leaves everything else generic', () => {
    expect(detectConfigType('/opt/app/.env')).toBe('generic');
    expect(detectConfigType('/etc/app/config.json')).toBe('generic');
  });
});
