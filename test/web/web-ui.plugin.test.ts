import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandler } from '../../src/api/plugins/error-handler.js';
import { CONTENT_SECURITY_POLICY, webUiPlugin } from '../../src/api/plugins/web-ui.plugin.js';

describe('web UI plugin', () => {
  let root: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'cw-webui-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>ui</title>');
    writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(root, 'favicon.svg'), '<svg/>');
    writeFileSync(join(root, '.secret'), 'nope');
    app = Fastify();
    installErrorHandler(app);
    await app.register(webUiPlugin({ root }));
    app.get('/api/known', async () => ({ ok: true }));
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves index.html at / and for deep links, with a strict CSP and no caching', async () => {
    for (const url of ['/', '/devices/web1/file?path=%2Fetc%2Fnginx%2Fnginx.conf', '/devices/web1/graph']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('<title>ui</title>');
      expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves built files, hashed assets as immutable', async () => {
    const asset = await app.inject({ url: '/assets/index-abc.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log(1)');
    expect(asset.headers['cache-control']).toContain('immutable');
    const icon = await app.inject({ url: '/favicon.svg' });
    expect(icon.body).toBe('<svg/>');
  });

  it('keeps unknown /api paths as JSON 404s and leaves API routes alone', async () => {
    const missing = await app.inject({ url: '/api/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'CW_ERR_NOT_FOUND', message: 'no route GET /api/nope' } });
    expect((await app.inject({ url: '/api/known' })).json()).toEqual({ ok: true });
  });

  it('never serves dotfiles or paths outside the root', async () => {
    for (const url of ['/.secret', '/assets/../.secret', '/%2e%2e/%2e%2e/etc/passwd']) {
      const res = await app.inject({ url });
      expect(res.body, url).not.toContain('nope');
      expect(res.body, url).not.toContain('root:');
    }
  });
});
