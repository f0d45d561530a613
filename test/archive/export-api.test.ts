/**
 * `GET /api/export` streams the archive `confwatch export` writes; it holds
 * secrets, so only a principal with secrets:view (admin) gets it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, openApiFixture, productFeatures } from '../api/app-fixture.js';
import { openTempStore } from '../helpers/store.js';
import { archiveService, MARKER, seedHistory } from './archive-fixture.js';

describe('GET /api/export', () => {
  let fx: ApiFixture;
  let dir: string;
  beforeAll(async () => {
    fx = await openApiFixture({}, productFeatures);
    await seedHistory(fx.store);
    dir = mkdtempSync(join(tmpdir(), 'cw-export-api-'));
  });
  afterAll(async () => {
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses viewers, operators and approvers, and anyone without a credential', async () => {
    for (const role of ['viewer', 'operator', 'approver'] as const) {
      const denied = await fx.app.inject({ url: '/api/export', headers: fx.as(role) });
      expect(denied.statusCode, role).toBe(403);
      expect(denied.json()).toMatchObject({ error: { code: 'CW_ERR_AUTH_FORBIDDEN' } });
    }
    expect((await fx.app.inject({ url: '/api/export' })).statusCode).toBe(401);
  });

  it('streams an archive an import accepts, and audits it', async () => {
    const response = await fx.app.inject({ url: '/api/export?history=true&device=web', headers: fx.as('admin') });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/gzip');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="confwatch-export-.*\.tar\.gz"$/);
    expect(response.headers['x-confwatch-contains-secrets']).toBe('true');
    expect(gunzipSync(response.rawPayload).includes(MARKER)).toBe(true);

    const file = join(dir, 'api.tar.gz');
    writeFileSync(file, response.rawPayload);
    const target = await openTempStore('cw-export-api-dst-');
    try {
      const imported = await archiveService(target.store).import(file, { mode: 'history-only', actor: 'test' });
      expect(imported.devices).toEqual(['web']);
      expect(imported.history?.versions).toBe(5);
    } finally {
      await target.close();
    }
    const audit = await fx.store.listAudit({ limit: 5 });
    expect(audit.find((a) => a.action === 'export.archive')).toMatchObject({ actor: 'admin', result: 'ok', target: 'history=true devices=web' });
  });

  it('answers an unknown device with a JSON 404 before streaming', async () => {
    const response = await fx.app.inject({ url: '/api/export?device=nope', headers: fx.as('admin') });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'CW_ERR_NOT_FOUND' } });
  });
});
