import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NginxData } from '../../src/parsers/nginx/nginx.parser.js';
import type { Services } from '../../src/services/services.js';
import { openInitialisedServices, tempHome } from '../helpers/cli.js';

/** Stored versions are analysed with the device's other stored files: nginx includes, compose .env. */
describe('analysis with the device files from the store', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'host');
  let services: Services;

  beforeAll(async () => {
    mkdirSync(join(root, 'nginx', 'conf.d'), { recursive: true });
    mkdirSync(join(root, 'stack'), { recursive: true });
    writeFileSync(join(root, 'nginx', 'nginx.conf'), `events {}\nhttp {\n  include ${root}/nginx/conf.d/*.conf;\n}\n`);
    writeFileSync(join(root, 'nginx', 'conf.d', 'app.conf'), 'server {\n  listen 8443 ssl;\n  server_name app.example.com;\n  location / { proxy_pass http://127.0.0.1:8080; }\n}\n');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation syntax, not a JS template
    writeFileSync(join(root, 'stack', 'compose.yaml'), 'services:\n  web:\n    image: nginx:${TAG}\n');
    writeFileSync(join(root, 'stack', '.env'), 'TAG=1.27\n');
    services = await openInitialisedServices(t.home);
    await services.devices.add({ name: 'h', local: true, watch: [`${root}/nginx/**/*.conf`], type: 'nginx' });
    await services.devices.add({ name: 'c', local: true, profiles: [`compose:${root}`] });
    await services.monitoring.scan('h');
    await services.monitoring.scan('c');
    await services.analysis.idle();
  });
  afterAll(async () => {
    await services?.close();
    t.remove();
  });

  it('follows nginx includes through the stored versions of the included files', async () => {
    const [latest] = (await services.store.history('h', join(root, 'nginx', 'nginx.conf'))).items;
    const payload = (latest?.parsed as NginxData | null | undefined)?.payload;
    const included = payload && 'config' in payload ? payload.config.find((f) => f.file === join(root, 'nginx', 'conf.d', 'app.conf')) : undefined;
    expect(included?.parsed.map((s) => s.directive)).toEqual(['server']);
  });

  it('interpolates compose files with the stored sibling .env', async () => {
    const [latest] = (await services.store.history('c', join(root, 'stack', 'compose.yaml'))).items;
    expect(JSON.stringify(latest?.parsed)).toContain('nginx:1.27');
  });
});
