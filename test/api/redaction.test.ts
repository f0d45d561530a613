/**
 * Redaction cannot be skipped by the encoding of a file or by where a
 * value is shown: a Latin-1 `.env` is redacted for a viewer (UTF-16 text
 * with secrets is refused), and a file's last error and validation output
 * are redacted too. Through the API, with a viewer's token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/auth/redact.js';
import { addLocalDevice, type ApiFixture, openApiFixture, recordVersions } from './app-fixture.js';

let fx: ApiFixture;
const latin1 = Buffer.concat([Buffer.from('HOST=db\nAPI_TOKEN=s'), Buffer.from([0xe9]), Buffer.from('cr3t-latin1\n# caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('HOST=db\r\nDB_PASSWORD=wide-s3cret\r\n', 'utf16le')]);
let ids: { latin1: string; utf16: string; env: string };

beforeAll(async () => {
  fx = await openApiFixture();
  await addLocalDevice(fx.store, 'web1');
  const [a] = await recordVersions(fx.store, 'web1', '/etc/app/latin1.env', [latin1]);
  const [b] = await recordVersions(fx.store, 'web1', '/etc/app/wide.env', [utf16]);
  const [c] = await recordVersions(fx.store, 'web1', '/etc/app/.env', ['DB_PASSWORD=hunter2\n']);
  ids = { latin1: a!, utf16: b!, env: c! };
  await fx.store.annotateSnapshot(c!, { validation: { status: 'invalid', tool: 'check', output: 'line 1:\nDB_PASSWORD=hunter2\nrejected', durationMs: 1 } });
  await fx.store.updateTrackedFile('web1', '/etc/app/.env', { lastError: 'restore: validation failed:\nDB_PASSWORD=hunter2' });
});
afterAll(() => fx.close());

const get = (url: string, role: 'viewer' | 'admin' = 'viewer') => fx.app.inject({ method: 'GET', url, headers: fx.as(role) });

describe('redaction for callers without secrets:view', () => {
  it('redacts a Latin-1 .env, keeping every other byte', async () => {
    const viewer = await get(`/api/snapshots/${ids.latin1}/raw`);
    expect(viewer.statusCode).toBe(200);
    expect(viewer.rawPayload.includes(Buffer.from('cr3t-latin1'))).toBe(false);
    expect(viewer.headers['x-confwatch-redacted']).toBe('true');
    expect(viewer.rawPayload.toString('latin1')).toBe(`HOST=db\nAPI_TOKEN=${REDACTED}\n# caf\u00e9\n`);
    expect((await get(`/api/snapshots/${ids.latin1}/raw`, 'admin')).rawPayload.equals(latin1)).toBe(true);
  });

  it('refuses UTF-16 text holding a secret, which cannot be redacted byte for byte', async () => {
    const viewer = await get(`/api/snapshots/${ids.utf16}/raw`);
    expect(viewer.statusCode).toBe(403);
    expect(viewer.body).not.toContain('wide-s3cret');
    expect((await get(`/api/snapshots/${ids.utf16}/raw`, 'admin')).rawPayload.equals(utf16)).toBe(true);
  });

  it("redacts a file's last error and a snapshot's validation output", async () => {
    const files = (await get('/api/files?device=web1')).json().files as { path: string; lastError: string | null }[];
    const env = files.find((f) => f.path === '/etc/app/.env');
    expect(env?.lastError).toBe(`restore: validation failed:\nDB_PASSWORD=${REDACTED}`);
    const adminFiles = (await get('/api/files?device=web1', 'admin')).json().files as { path: string; lastError: string | null }[];
    expect(adminFiles.find((f) => f.path === '/etc/app/.env')?.lastError).toContain('hunter2');
    const meta = (await get(`/api/snapshots/${ids.env}`)).json();
    expect(meta.validation.output).not.toContain('hunter2');
    expect(meta.validation.output).toContain(REDACTED);
  });
});

describe('line endings', () => {
  it('redacts a CRLF .env as well as an LF one', async () => {
    const [id] = await recordVersions(fx.store, 'web1', '/etc/app/crlf.env', ['HOST=db\r\nDB_PASSWORD=crlf-s3cret\r\n']);
    const viewer = await get(`/api/snapshots/${id}/raw`);
    expect(viewer.body).toBe(`HOST=db\r\nDB_PASSWORD=${REDACTED}\r\n`);
  });
});
