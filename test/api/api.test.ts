/** The API against a real SQLite store: reads, redaction, history paging, diff and bad input. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/auth/redact.js';
import { type ApiFixture, addLocalDevice, openApiFixture, recordVersions } from './app-fixture.js';

let fx: ApiFixture;
let envIds: string[];
let keyId: string;
let binIds: string[];

beforeAll(async () => {
  fx = await openApiFixture({ bodyLimit: 64 * 1024 });
  await addLocalDevice(fx.store, 'web1');
  envIds = await recordVersions(fx.store, 'web1', '/etc/app/.env', ['HOST=a\nDB_PASSWORD=first\n', 'HOST=b\nDB_PASSWORD=second\n', 'HOST=c\nDB_PASSWORD=second\n']);
  keyId = (await recordVersions(fx.store, 'web1', '/etc/app/id_ed25519', ['-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAsecretkeybody\n-----END OPENSSH PRIVATE KEY-----\n']))[0] as string;
  binIds = await recordVersions(fx.store, 'web1', '/etc/app/blob.bin', [Buffer.from([0, 1, 2, 0xff]), Buffer.from([0, 1, 3])]);
  await fx.store.annotateSnapshot(envIds[2] as string, { impact: { riskLevel: 'MEDIUM', reasons: [] }, parsed: { HOST: 'c', DB_PASSWORD: 'second' } });
});
afterAll(() => fx.close());

const get = (url: string, role: 'viewer' | 'admin' = 'viewer') => fx.app.inject({ url, headers: fx.as(role) });

describe('devices and files', () => {
  it('lists devices with declared fields only', async () => {
    const res = await get('/api/devices');
    expect(res.statusCode).toBe(200);
    const [device] = res.json().devices;
    expect(device.name).toBe('web1');
    expect(Object.keys(device)).not.toContain('passphrase');
  });

  it('answers 404 with a JSON error for an unknown device', async () => {
    for (const url of ['/api/devices/nope', '/api/files?device=nope', '/api/devices/nope/files/history?path=/etc/x']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'CW_ERR_NOT_FOUND', message: expect.stringContaining('nope') } });
    }
  });

  it('lists tracked files with statuses', async () => {
    const res = await get('/api/files?device=web1');
    expect(res.json().files.map((f: { path: string }) => f.path).sort()).toEqual(['/etc/app/.env', '/etc/app/blob.bin', '/etc/app/id_ed25519']);
    expect(res.json().files[0]).toHaveProperty('syncStatus');
  });
});

describe('history', () => {
  it('pages newest first with a cursor and carries the stored risk', async () => {
    const first = (await get('/api/devices/web1/files/history?path=/etc/app/.env&limit=2')).json();
    expect(first.versions.map((v: { id: string }) => v.id)).toEqual([envIds[2], envIds[1]]);
    expect(first.versions[0]).toMatchObject({ changeType: 'modified', source: 'poll', risk: 'MEDIUM', changeSetId: null, actor: null });
    const second = (await get(`/api/devices/web1/files/history?path=/etc/app/.env&limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.versions.map((v: { id: string }) => v.id)).toEqual([envIds[0]]);
    expect(second.nextCursor).toBeNull();
  });

  it('refuses invalid cursors, including another file’s', async () => {
    const other = (await get('/api/devices/web1/files/history?path=/etc/app/blob.bin&limit=1')).json().nextCursor;
    for (const cursor of ['%%%', 'bm90LWpzb24', other]) {
      const res = await get(`/api/devices/web1/files/history?path=/etc/app/.env&cursor=${encodeURIComponent(cursor)}`);
      expect(res.statusCode, cursor).toBe(400);
      expect(res.json().error.code).toBe('CW_ERR_USAGE');
    }
  });

  it('refuses path traversal and NUL bytes in paths and names, naming the field', async () => {
    for (const path of ['/etc/../etc/passwd', '/etc/app/..', 'etc/app', '/etc/app%00.env', `b64:${Buffer.from('/etc/\0x').toString('base64')}`]) {
      const res = await get(`/api/devices/web1/files/history?path=${path}`);
      expect(res.statusCode, path).toBe(400);
      expect(res.json().error.message).toContain('querystring.path');
    }
    const res = await get('/api/devices/..%2f..%2fetc/files/history?path=/etc/x');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('params.device');
  });
});

describe('snapshots and redaction', () => {
  it('returns the exact bytes to callers with secrets:view and a redacted copy to others', async () => {
    const admin = await get(`/api/snapshots/${keyId}/raw`, 'admin');
    expect(admin.headers['content-type']).toBe('application/octet-stream');
    expect(admin.headers['x-content-type-options']).toBe('nosniff');
    expect(admin.headers['cache-control']).toBe('no-store');
    expect(admin.body).toContain('AAAAsecretkeybody');
    const viewer = await get(`/api/snapshots/${keyId}/raw`);
    expect(viewer.body).not.toContain('AAAAsecretkeybody');
    expect(viewer.body).toContain(REDACTED);
    expect(viewer.headers['x-confwatch-redacted']).toBe('true');
    const binary = await get(`/api/snapshots/${binIds[0]}/raw`);
    expect(binary.rawPayload.equals(Buffer.from([0, 1, 2, 0xff]))).toBe(true);
  });

  it('redacts parsed data and reports the impact', async () => {
    const parsed = (await get(`/api/snapshots/${envIds[2]}/parsed`)).json();
    expect(parsed).toMatchObject({ parsed: { HOST: 'c', DB_PASSWORD: REDACTED }, redacted: true });
    expect((await get(`/api/snapshots/${envIds[2]}/parsed`, 'admin')).json().parsed.DB_PASSWORD).toBe('second');
    expect((await get(`/api/snapshots/${envIds[2]}/impact`)).json()).toMatchObject({ risk: 'MEDIUM', impact: { riskLevel: 'MEDIUM' } });
    const meta = (await get(`/api/snapshots/${envIds[2]}`)).json();
    expect(meta).toMatchObject({ id: envIds[2], path: '/etc/app/.env', risk: 'MEDIUM', hasContent: true });
    expect(meta).not.toHaveProperty('parsed');
  });

  it('answers 404 for an unknown snapshot and 400 for a malformed id', async () => {
    expect((await get('/api/snapshots/01HZZZZZZZZZZZZZZZZZZZZZZZ')).statusCode).toBe(404);
    expect((await get('/api/snapshots/abc')).statusCode).toBe(400);
  });
});

describe('diff', () => {
  it('diffs two versions as unified text and rows, redacted for viewers', async () => {
    const viewer = (await get(`/api/diff?from=${envIds[0]}&to=${envIds[1]}`)).json();
    expect(viewer.binary).toBe(false);
    expect(viewer.unified).toContain('\n-HOST=a\n');
    expect(viewer.unified).toContain('\n+HOST=b\n');
    expect(viewer.unified).not.toMatch(/first|second/);
    expect(viewer.rows[1]).toEqual({ kind: 'changed', left: { line: 2, text: `DB_PASSWORD=${REDACTED}` }, right: { line: 2, text: `DB_PASSWORD=${REDACTED}` } });
    const admin = (await get(`/api/diff?from=${envIds[0]}&to=${envIds[1]}`, 'admin')).json();
    expect(admin.unified).toContain('+DB_PASSWORD=second');
  });

  it('explains binary content instead of diffing it', async () => {
    const res = (await get(`/api/diff?from=${binIds[0]}&to=${binIds[1]}`)).json();
    expect(res).toMatchObject({ binary: true, unified: '', rows: [] });
    expect(res.message).toMatch(/binary content changed/);
  });
});

describe('bad input', () => {
  it('rejects an oversized body with 413', async () => {
    const res = await fx.app.inject({ method: 'POST', url: '/api/users', headers: fx.as('admin'), payload: { name: 'x', role: 'viewer', password: 'p'.repeat(100_000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBeDefined();
  });

  it('names the invalid body field', async () => {
    const res = await fx.app.inject({ method: 'POST', url: '/api/users', headers: fx.as('admin'), payload: { name: 'bob', role: 'root' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'CW_ERR_USAGE', message: expect.stringContaining('body.role') });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await get('/api/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('CW_ERR_NOT_FOUND');
  });
});
