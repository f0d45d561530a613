import { describe, expect, it } from 'vitest';
import { nginxParser, nginxPrefix } from './nginx.parser.js';
import type { NginxMultiPayload, NginxSinglePayload } from './payload.js';

const files: Record<string, string> = {
  '/config/nginx/nginx.conf': 'http {\n  upstream api { server 10.0.0.1:8080; server api2:80 backup; }\n  include /config/nginx/site-confs/*.conf;\n}\n',
  '/config/nginx/site-confs/default.conf': [
    'server {',
    '  listen 443 ssl;',
    '  server_name app.example.com www.example.com;',
    '  include /config/nginx/authelia-server.conf;',
    '  set $upstream_app app;',
    '  set $upstream_port 3000;',
    '  location / {',
    '    include /config/nginx/authelia-location.conf;',
    '    set $upstream_proto https;',
    '    proxy_pass $upstream_proto://$upstream_app:$upstream_port;',
    '  }',
    '  location /api { auth_basic "Restricted"; proxy_pass http://api; }',
    '}',
    '',
  ].join('\n'),
  '/config/nginx/authelia-server.conf': 'location /authelia { internal; }\n',
  '/config/nginx/authelia-location.conf': 'auth_request /authelia;\n',
};

const context = {
  path: '/config/nginx/nginx.conf',
  readFile: (path: string) => (path in files ? Buffer.from(files[path]!) : undefined),
  glob: (pattern: string) => Object.keys(files).filter((p) => pattern.endsWith('*.conf') && p.startsWith(pattern.slice(0, -6))),
};

describe('nginxParser', () => {
  it('follows includes, globs too, into a multi-file payload with each file once', () => {
    const result = nginxParser.parse(Buffer.from(files['/config/nginx/nginx.conf']!), context);
    expect(result.errors).toEqual([]);
    const payload = result.data!.payload as NginxMultiPayload;
    expect(payload.config.map((f) => f.file)).toEqual([
      '/config/nginx/nginx.conf',
      '/config/nginx/site-confs/default.conf',
      '/config/nginx/authelia-server.conf',
      '/config/nginx/authelia-location.conf',
    ]);
    const [http] = payload.config[0]!.parsed;
    expect(http!.block!.find((s) => s.directive === 'include')).toMatchObject({ args: ['/config/nginx/site-confs/*.conf'], includes: [1] });
  });

  it('parses a single file without a context, leaving includes as written', () => {
    const result = nginxParser.parse(Buffer.from('location /x { include /config/nginx/ldap-location.conf; proxy_pass http://x:1; }\n'));
    const payload = result.data!.payload as NginxSinglePayload;
    expect(payload.parsed[0]).toMatchObject({ directive: 'location', line: 1, args: ['/x'] });
    expect(payload.parsed[0]!.block!.map((s) => [s.directive, s.args])).toEqual([
      ['include', ['/config/nginx/ldap-location.conf']],
      ['proxy_pass', ['http://x:1']],
    ]);
  });

  it('reports errors with file and line, and a line even where crossplane gives none', () => {
    const broken = nginxParser.parse(Buffer.from('http {\n  server {\n'), { path: '/etc/nginx/nginx.conf' });
    expect(broken.errors).toEqual([
      { message: 'unexpected end of file, expecting "}" in /etc/nginx/nginx.conf:2', line: 2, file: '/etc/nginx/nginx.conf' },
    ]);
    expect(broken.data).toBeNull();
    const unterminated = nginxParser.parse(Buffer.from('user www-data;\nworker_processes auto\n'), { path: 'a.conf' });
    expect(unterminated.errors).toEqual([{ message: 'unexpected end of file, expecting ";" or "}"', line: 3, file: 'a.conf' }]);
  });

  it('warns about an include that resolves nowhere instead of failing the file (the payload keeps crossplane\'s error)', () => {
    const host = { path: '/srv/swag/nginx/proxy-confs/a.conf', readFile: () => undefined, glob: () => [] };
    const result = nginxParser.parse(Buffer.from('server {\n  include /config/nginx/ssl.conf;\n  listen 443;\n}\n'), host);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      { message: "unresolved include: '/config/nginx/ssl.conf' not found on this device", line: 2, file: '/srv/swag/nginx/proxy-confs/a.conf' },
    ]);
    expect((result.data!.payload as NginxMultiPayload).config[0]!.parsed.map((s) => s.directive)).toEqual(['server']);
    expect(result.data!.payload.status).toBe('failed');
  });

  it('reports wrong argument counts', () => {
    const result = nginxParser.parse(Buffer.from('http {\n  server {\n    listen;\n  }\n}\n'), { path: 'x.conf' });
    expect(result.errors).toEqual([{ message: 'invalid number of arguments in "listen" directive in x.conf:3', line: 3, file: 'x.conf' }]);
  });

  it('survives include cycles', () => {
    const loop = { path: '/etc/nginx/nginx.conf', readFile: () => Buffer.from('server { include /etc/nginx/a.conf; }'), glob: () => [] };
    const result = nginxParser.parse(Buffer.from('include /etc/nginx/a.conf;'), loop);
    expect((result.data!.payload as NginxMultiPayload).config.map((f) => f.file)).toEqual(['/etc/nginx/nginx.conf', '/etc/nginx/a.conf']);
  });

  it('resolves relative includes against the nginx prefix', () => {
    expect(nginxPrefix('/etc/nginx/sites-enabled/default')).toBe('/etc/nginx');
    expect(nginxPrefix('/config/nginx/nginx.conf')).toBe('/config/nginx');
    expect(nginxPrefix('/srv/web/site.conf')).toBe('/srv/web');
  });
});
