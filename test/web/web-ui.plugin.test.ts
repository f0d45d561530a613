import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/api/plugins/web-ui.plugin.js';
import { type ApiFixture, openApiFixture } from '../api/app-fixture.js';

describe('web UI served by the API app', () => {
  let root: string;
  let fixture: ApiFixture;
  let app: FastifyInstance;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'cw-webui-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>ui</title>');
    writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(root, 'favicon.svg'), '<svg/>');
    writeFileSync(join(root, '.secret'), 'nope');
    fixture = await openApiFixture({ webUi: { root } });
    app = fixture.app;
  });

  afterAll(async () => {
    await fixture?.close();
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
    const health = await app.inject({ url: '/api/health' });
    expect(health.statusCode).toBe(200);
    expect(health.headers['content-security-policy']).toBeUndefined();
    expect((await app.inject({ url: '/api/devices' })).statusCode).toBe(401);
  });

  it('never serves dotfiles or paths outside the root', async () => {
    for (const url of ['/.secret', '/assets/../.secret', '/%2e%2e/%2e%2e/etc/passwd']) {
      const res = await app.inject({ url });
      expect(res.body, url).not.toContain('nope');
      expect(res.body, url).not.toContain('root:');
    }
  });
});
