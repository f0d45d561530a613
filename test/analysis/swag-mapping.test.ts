import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/services/services.js';
import { openInitialisedServices, tempHome } from '../helpers/cli.js';

const CORPUS = new URL('../fixtures/corpus/nginx/', import.meta.url).pathname;

/**
 * A SWAG tree copied from the corpus into a temp root and watched with
 * `--profile swag:ROOT`: its files include `/config/nginx/…`, which the
 * profile maps to the root, so the parse with includes succeeds and the
 * graph links every proxy conf to the snippets it includes.
 */
describe('a SWAG tree watched with the swag profile', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'swag');
  const nginx = join(root, 'nginx');
  const radarr = join(nginx, 'proxy-confs', 'radarr.subdomain.conf');
  let services: Services;

  beforeAll(async () => {
    mkdirSync(join(nginx, 'site-confs'), { recursive: true });
    mkdirSync(join(nginx, 'proxy-confs'));
    copyFileSync(join(CORPUS, '..', 'swag-base', 'nginx.conf.sample'), join(nginx, 'nginx.conf'));
    copyFileSync(join(CORPUS, '..', 'swag-base', 'ssl.conf.sample'), join(nginx, 'ssl.conf'));
    copyFileSync(join(CORPUS, 'swag-defaults', 'proxy.conf.sample'), join(nginx, 'proxy.conf'));
    copyFileSync(join(CORPUS, 'swag-defaults', 'authelia-location.conf.sample'), join(nginx, 'authelia-location.conf'));
    copyFileSync(join(CORPUS, 'swag-defaults', 'authelia-server.conf.sample'), join(nginx, 'authelia-server.conf'));
    copyFileSync(join(CORPUS, 'swag-defaults', 'site-confs', 'default.conf.sample'), join(nginx, 'site-confs', 'default.conf'));
    // what SWAG generates at its first start
    writeFileSync(join(nginx, 'resolver.conf'), 'resolver 127.0.0.11 valid=30s;\n');
    writeFileSync(join(nginx, 'worker_processes.conf'), 'worker_processes 4;\n');
    // radarr behind authelia, as a user enables it
    const sample = readFileSync(join(CORPUS, 'swag-proxy-confs', 'radarr.subdomain.conf.sample'), 'utf8');
    writeFileSync(radarr, sample.replaceAll('#include /config/nginx/authelia-', 'include /config/nginx/authelia-'));
    services = await openInitialisedServices(t.home);
    await services.devices.add({ name: 'swag', local: true, profiles: [`swag:${root}`] });
    await services.monitoring.scan('swag');
    await services.analysis.idle();
  }, 120_000);
  afterAll(async () => {
    await services?.close();
    t.remove();
  });

  it('tracks nginx.conf, site-confs and the snippets, resolver.conf as nginx', async () => {
    const tracked = new Map((await services.store.listTrackedFiles('swag')).map((f) => [f.path, f.configType]));
    for (const name of ['nginx.conf', 'ssl.conf', 'proxy.conf', 'resolver.conf', 'authelia-location.conf', 'site-confs/default.conf', 'proxy-confs/radarr.subdomain.conf']) {
      expect(tracked.get(join(nginx, name)), name).toBe('nginx');
    }
  });

  it('parses a proxy conf with its /config includes resolved through the mapping', async () => {
    const [latest] = (await services.store.history('swag', radarr)).items;
    expect(latest?.parseErrors ?? [], JSON.stringify(latest?.parseErrors)).toEqual([]);
    const files = (latest!.parsed as { payload: { config: { file: string; status: string }[] } }).payload.config;
    expect(files.map((f) => f.file)).toEqual(
      expect.arrayContaining([radarr, join(nginx, 'ssl.conf'), join(nginx, 'proxy.conf'), join(nginx, 'resolver.conf'), join(nginx, 'authelia-location.conf')]),
    );
    expect(files.every((f) => f.status === 'ok')).toBe(true);
  });

  it('links each proxy conf to the snippets it includes, so a snippet change reaches them', async () => {
    const graph = await services.dependencies.load('swag');
    const includes = graph.edges.filter((e) => e.kind === 'includes').map((e) => `${e.from} -> ${e.to}`);
    for (const snippet of ['ssl.conf', 'proxy.conf', 'resolver.conf', 'authelia-location.conf', 'authelia-server.conf']) {
      expect(includes, snippet).toContain(`file:${radarr} -> file:${join(nginx, snippet)}`);
    }
    expect(includes).toContain(`file:${join(nginx, 'site-confs', 'default.conf')} -> file:${radarr}`);
    expect(includes).toContain(`file:${join(nginx, 'nginx.conf')} -> file:${join(nginx, 'site-confs', 'default.conf')}`);
    const uses = graph.edges.filter((e) => e.kind === 'uses_file').map((e) => e.to);
    expect(uses).toContain(`file:${join(root, 'keys', 'cert.crt')}`);
  });
});
