/**
 * nginx validation in context, with the real nginx: a fragment no main
 * config includes, a SWAG tree reached through its /config mapping, and
 * content that tries to make root create files while it is validated.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalTransport } from '../../src/transport/local.transport.js';
import { validateContent } from '../../src/validate/validator.js';
import { commandExists, describeWith } from '../helpers/components.js';

describeWith('nginx', commandExists('nginx'), 'nginx validation in context', () => {
  const transport = new LocalTransport();
  let base: string;
  let scratch: string;
  const canaries: string[] = [];
  const canary = (name: string) => {
    const path = join(tmpdir(), `cw-canary-${name}-${process.pid}-${Date.now()}`);
    canaries.push(path);
    return path;
  };

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'cw-vctx-'));
    scratch = join(base, 'scratch');
    mkdirSync(scratch);
    process.env.TMPDIR = scratch;
  });
  afterAll(async () => {
    await transport.close();
    rmSync(base, { recursive: true, force: true });
    for (const path of canaries) rmSync(path, { recursive: true, force: true });
  });

  it('calls a fragment no nginx.conf includes unavailable, with the reason', async () => {
    const frags = join(base, 'frags');
    mkdirSync(frags);
    writeFileSync(join(frags, 'a.conf'), 'location /a { return 200; }\n');
    const alone = await validateContent(transport, { type: 'nginx', path: join(frags, 'a.conf'), content: Buffer.from('location /a { return 204; }\n') });
    expect(alone.status, alone.output).toBe('unavailable');
    expect(alone.output.split('\n')[0]).toMatch(/^no nginx\.conf on this device includes it/);

    // a tree with a main config that does not include the snippet
    const root = join(base, 'etc', 'nginx');
    mkdirSync(join(root, 'snippets'), { recursive: true });
    writeFileSync(join(root, 'nginx.conf'), 'error_log stderr;\nevents {}\nhttp { access_log off; }\n');
    const snippet = await validateContent(transport, { type: 'nginx', path: join(root, 'snippets', 's.conf'), content: Buffer.from('gzip on;\n') });
    expect(snippet.status, snippet.output).toBe('unavailable');
    expect(snippet.output.split('\n')[0]).toBe('no nginx.conf on this device includes it');
    expect(validationTemps(scratch)).toEqual([]);
  });

  it('never lets the validated content create files outside its temp tree', async () => {
    const root = join(base, 'hostile', 'nginx');
    const home = join(base, 'home-of-someone');
    mkdirSync(join(root, 'conf.d'), { recursive: true });
    mkdirSync(home);
    const paths = {
      error: canary('error'),
      access: canary('access'),
      pid: canary('pid'),
      temp: canary('temp'),
      cache: canary('cache'),
      external: canary('external'),
      linked: canary('linked'),
    };
    // the live main config itself names a pid file and a container user
    writeFileSync(join(root, 'nginx.conf'), `user abc;\npid ${paths.pid};\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n  include ${root}/conf.d/*.conf;\n}\n`);
    // a file outside the tree that the candidate includes, and a link into someone's home
    writeFileSync(join(home, 'evil.conf'), `error_log ${paths.external};\n`);
    writeFileSync(join(home, 'linked.conf'), `server { listen 127.0.0.1:18391; error_log "${paths.linked}"; }\n`);
    symlinkSync(join(home, 'linked.conf'), join(root, 'conf.d', 'linked.conf'));
    writeFileSync(join(root, 'conf.d', 'app.conf'), 'server { listen 127.0.0.1:18390; }\n');
    const candidate = [
      `error_log ${paths.error};`,
      `access_log\n  "${paths.access}";`,
      `client_body_temp_path ${paths.temp} 1 2;`,
      `proxy_cache_path ${paths.cache} keys_zone=z:1m;`,
      `include ${home}/evil.conf;`,
      'server { listen 127.0.0.1:18390; }',
      '',
    ].join('\n');
    const result = await validateContent(transport, { type: 'nginx', path: join(root, 'conf.d', 'app.conf'), content: Buffer.from(candidate) });
    expect(result.status, result.output).toBe('valid');
    for (const [name, path] of Object.entries(paths)) expect(existsSync(path), `${name}: ${path}`).toBe(false);
    expect(validationTemps(scratch)).toEqual([]);
  });

  it('validates a SWAG proxy conf on the host through the /config mapping', async () => {
    const swag = join(base, 'swag');
    const nginx = join(swag, 'nginx');
    mkdirSync(join(nginx, 'site-confs'), { recursive: true });
    mkdirSync(join(nginx, 'proxy-confs'));
    writeFileSync(
      join(nginx, 'nginx.conf'),
      'user abc;\ninclude /config/nginx/worker_processes.conf;\nerror_log /config/log/nginx/error.log;\npid /run/nginx.pid;\nevents {}\nhttp {\n  include /config/nginx/resolver.conf;\n  access_log /config/log/nginx/access.log;\n  include /config/nginx/site-confs/*.conf;\n}\n',
    );
    writeFileSync(join(nginx, 'worker_processes.conf'), 'worker_processes 2;\n');
    writeFileSync(join(nginx, 'resolver.conf'), 'resolver 127.0.0.11 valid=30s;\n');
    writeFileSync(join(nginx, 'proxy.conf'), 'proxy_http_version 1.1;\nproxy_set_header Host $host;\n');
    writeFileSync(join(nginx, 'site-confs', 'default.conf'), 'server { listen 127.0.0.1:18392 default_server; root /config/www; }\ninclude /config/nginx/proxy-confs/*.subdomain.conf;\n');
    const app = join(nginx, 'proxy-confs', 'app.subdomain.conf');
    const content = Buffer.from(
      'server {\n  listen 127.0.0.1:18393;\n  server_name app.*;\n  location / {\n    include /config/nginx/proxy.conf;\n    set $upstream_app app;\n    proxy_pass http://$upstream_app:80;\n  }\n}\n',
    );
    writeFileSync(app, content);
    const mappings = [{ container: '/config', host: swag }];
    const mapped = await validateContent(transport, { type: 'nginx', path: app, content, mappings });
    expect(mapped.status, mapped.output).toBe('valid');
    expect(existsSync(join(swag, 'log'))).toBe(false);

    const unmapped = await validateContent(transport, { type: 'nginx', path: app, content });
    expect(unmapped.status).toBe('invalid');
    expect(unmapped.output).toMatch(/\/config\/nginx\/worker_processes\.conf/);
  });
});

/** Temp copies made by validation. */
const validationTemps = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('confwatch-validate.'));
