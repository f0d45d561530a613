/**
 * The built-in SWAG template, rendered in the worker pool for every auth
 * mode, passes the real `nginx -t` in the validation sandbox: a SWAG tree
 * on this host reached through its /config mapping, with SWAG's own
 * ssl.conf, proxy.conf and auth includes from the corpus, a self-signed
 * certificate and DH parameters made with openssl. SWAG's image builds
 * nginx with the set-misc module; this nginx lacks it, so the one
 * `set_escape_uri` line of the auth server confs becomes a plain `set`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AnalysisPool } from '../../src/compute/analysis-pool.js';
import { TemplateService } from '../../src/services/template.service.js';
import { createMasterKeyFile } from '../../src/store/keyring.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { openStore } from '../../src/store/open-store.js';
import { TemplateRepository } from '../../src/store/templates.repository.js';
import { LocalTransport } from '../../src/transport/local.transport.js';
import { validateContent } from '../../src/validate/validator.js';
import { commandExists, describeUnless } from '../helpers/components.js';

/** The SWAG files copied from the corpus into the fixtures, with their licence. */
const CORPUS = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url));
const corpus = (name: string) => join(CORPUS, name.startsWith('swag-base/') ? name : `nginx/${name}`);
const missing = !commandExists('nginx') ? 'nginx is not installed' : !commandExists('openssl') ? 'openssl is not installed' : null;

describeUnless(missing, 'built-in swag-subdomain template under nginx -t', () => {
  const transport = new LocalTransport();
  let base: string;
  let swag: string;
  let store: KyselyStore;
  let pool: AnalysisPool;
  let templates: TemplateService;

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'cw-swag-tpl-'));
    mkdirSync(join(base, 'scratch'));
    process.env.TMPDIR = join(base, 'scratch');
    swag = join(base, 'swag');
    const nginx = join(swag, 'nginx');
    mkdirSync(join(nginx, 'site-confs'), { recursive: true });
    mkdirSync(join(nginx, 'proxy-confs'));
    mkdirSync(join(swag, 'keys'));
    // SWAG's nginx.conf, less what nginx 1.22 or this host lacks (http2/http3 switches, module and mime includes, log files)
    writeFileSync(
      join(nginx, 'nginx.conf'),
      [
        'user abc;',
        'include /config/nginx/worker_processes.conf;',
        'error_log stderr;',
        'pid /run/nginx.pid;',
        'events { worker_connections 1024; }',
        'http {',
        '  include /config/nginx/resolver.conf;',
        '  default_type application/octet-stream;',
        '  client_max_body_size 0;',
        '  map $http_upgrade $connection_upgrade { default upgrade; "" close; }',
        '  access_log off;',
        '  include /config/nginx/site-confs/*.conf;',
        '}',
        '',
      ].join('\n'),
    );
    writeFileSync(join(nginx, 'worker_processes.conf'), 'worker_processes 2;\n');
    writeFileSync(join(nginx, 'resolver.conf'), 'resolver 127.0.0.11 valid=30s;\n');
    writeFileSync(join(nginx, '.htpasswd'), 'user:$apr1$abc$0123456789abcdefghijk.\n');
    writeFileSync(join(nginx, 'site-confs', 'default.conf'), 'server { listen 127.0.0.1:18480 default_server; root /config/www; }\ninclude /config/nginx/proxy-confs/*.subdomain.conf;\n');
    copyFileSync(corpus('swag-base/ssl.conf.sample'), join(nginx, 'ssl.conf'));
    copyFileSync(corpus('swag-defaults/proxy.conf.sample'), join(nginx, 'proxy.conf'));
    for (const auth of ['authelia', 'authentik', 'tinyauth']) {
      const server = readFileSync(corpus(`swag-defaults/${auth}-server.conf.sample`), 'utf8').replace(/\bset_escape_uri\b/g, 'set');
      writeFileSync(join(nginx, `${auth}-server.conf`), server);
      copyFileSync(corpus(`swag-defaults/${auth}-location.conf.sample`), join(nginx, `${auth}-location.conf`));
    }
    const key = join(swag, 'keys', 'cert.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', join(swag, 'keys', 'cert.crt'), '-days', '1', '-subj', '/CN=example.test'], { stdio: 'ignore' });
    execFileSync('openssl', ['dhparam', '-dsaparam', '-out', join(nginx, 'dhparams.pem'), '2048'], { stdio: 'ignore' });

    const home = join(base, 'home');
    mkdirSync(home);
    createMasterKeyFile(home);
    store = await openStore({ home, env: {} });
    pool = new AnalysisPool({ size: 1 });
    templates = new TemplateService({ repository: new TemplateRepository(store), pool });
  }, 60_000);

  afterAll(async () => {
    await pool.close();
    await store.close();
    await transport.close();
    rmSync(base, { recursive: true, force: true });
  });

  const mappings = () => [{ container: '/config', host: swag }];

  it('renders a conf nginx -t accepts for every auth mode', async () => {
    for (const auth of ['none', 'basic', 'authelia', 'authentik', 'tinyauth']) {
      const name = `app-${auth}`;
      const rendered = await templates.render('swag-subdomain', { variables: { name, upstream_app: name, upstream_port: 8080, upstream_proto: 'http', auth } });
      expect(rendered, auth).toMatchObject({ valid: true, errors: [], type: 'nginx', version: 1 });
      const path = join(swag, 'nginx', 'proxy-confs', `${name}.subdomain.conf`);
      const result = await validateContent(transport, { type: 'nginx', path, content: Buffer.from(rendered.content), mappings: mappings() });
      expect(result.status, `${auth}: ${result.output}`).toBe('valid');
      expect(result.tool).toBe('nginx -t');
    }
  }, 60_000);

  it('is refused by nginx -t when an include it names is missing on the host', async () => {
    rmSync(join(swag, 'nginx', 'tinyauth-location.conf'));
    const rendered = await templates.render('swag-subdomain', { variables: { name: 'gone', upstream_app: 'gone', upstream_port: 80, auth: 'tinyauth' } });
    const path = join(swag, 'nginx', 'proxy-confs', 'gone.subdomain.conf');
    const result = await validateContent(transport, { type: 'nginx', path, content: Buffer.from(rendered.content), mappings: mappings() });
    expect(result.status).toBe('invalid');
    expect(result.output).toMatch(/tinyauth-location\.conf/);
  });
});
