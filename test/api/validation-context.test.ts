/**
 * The API side of validation in context: only watched files are validated,
 * a profile that requires validation refuses a write whose validation
 * cannot run, and `validate: false` skips it on rollback apply and drift
 * resolve as on restore. Real nginx, local device.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Role } from '../../src/auth/scopes.js';
import { commandExists, describeWith } from '../helpers/components.js';
import { customProfile } from '../helpers/store.js';
import { type ApiFixture, openApiFixture, productFeatures } from './app-fixture.js';

const DEVICE = 'frags';

describeWith('nginx', commandExists('nginx') || existsSync('/usr/sbin/nginx'), 'API: validation in context', () => {
  let fx: ApiFixture;
  let dir: string;

  beforeAll(async () => {
    fx = await openApiFixture({}, productFeatures);
    dir = mkdtempSync(join(tmpdir(), 'cw-api-vctx-'));
    mkdirSync(join(dir, 'frags'));
    await fx.store.addDevice(
      { name: DEVICE, transport: 'local', host: 'localhost', port: 22, user: 'root', identityFile: null, hostKey: null, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] },
      [customProfile(DEVICE, [`${dir}/frags/*.conf`], { configType: 'nginx', requireValidation: true })],
    );
  });
  afterAll(async () => {
    await fx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = (role: Role, url: string, payload: unknown) => fx.app.inject({ method: 'POST', url, headers: fx.as(role), payload: payload as object });
  const write = async (path: string, content: string, first: boolean): Promise<string> => {
    writeFileSync(path, content);
    const [snapshot] = await fx.store.recordSnapshots([
      { device: DEVICE, path, configType: 'nginx', profile: 'custom', changeType: first ? 'initial' : 'modified', source: 'poll', content: Buffer.from(content), detectedAt: new Date().toISOString() },
    ]);
    return snapshot!.id;
  };

  it('validates only files inside the watched globs', async () => {
    const outside = await post('admin', '/api/validate', { device: DEVICE, path: '/etc/passwd' });
    expect(outside.statusCode).toBe(403);
    expect(outside.json().error.code).toBe('CW_ERR_VALIDATE_OUTSIDE_PROFILE');
    const inside = await post('admin', '/api/validate', { device: DEVICE, path: join(dir, 'frags', 'x.conf'), content: 'gzip on;\n' });
    expect(inside.statusCode).toBe(200);
    expect(inside.json()).toMatchObject({ status: 'unavailable', tool: 'nginx -t' });
    expect(inside.json().output).toMatch(/^no nginx\.conf on this device includes it/);
  });

  it('refuses a rollback whose validation cannot run, and applies it with validate: false', async () => {
    const file = join(dir, 'frags', 'a.conf');
    await write(file, 'gzip on;\n', true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const before = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await write(file, 'gzip off;\n', false);

    const plan = (await post('operator', '/api/rollback-plans', { device: DEVICE, to: before })).json();
    const refused = await post('operator', `/api/rollback-plans/${plan.id}/apply`, undefined);
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().error.code).toBe('CW_ERR_WRITEBACK_UNVALIDATED');
    expect(refused.json().error.message).toMatch(/no nginx\.conf on this device includes it/);
    expect(readFileSync(file, 'utf8')).toBe('gzip off;\n');

    const plan2 = (await post('operator', '/api/rollback-plans', { device: DEVICE, to: before })).json();
    const applied = await post('operator', `/api/rollback-plans/${plan2.id}/apply`, { validate: false });
    expect(applied.statusCode, applied.body).toBe(200);
    expect(readFileSync(file, 'utf8')).toBe('gzip on;\n');
  });

  it('drift resolve --restore takes validate: false', async () => {
    const file = join(dir, 'frags', 'b.conf');
    await write(file, 'gzip on;\n', true);
    writeFileSync(file, 'gzip off;\n');
    const refused = await post('operator', '/api/drift/resolve', { device: DEVICE, path: file, resolution: 'restore' });
    expect(refused.statusCode).toBe(422);
    const resolved = await post('operator', '/api/drift/resolve', { device: DEVICE, path: file, resolution: 'restore', validate: false });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(readFileSync(file, 'utf8')).toBe('gzip on;\n');
  });
});
