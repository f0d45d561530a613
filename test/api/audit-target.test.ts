/**
 * The audit target of mutations addressed by their body rather than their
 * URL (drift resolution, batches, validation, rollback plans, device, user
 * and token creation, logout): each is performed through the HTTP API over
 * a local device in a temp directory, and the entry is read back through
 * `GET /api/audit`. The target names what was acted on (device, paths, the
 * id of what was created), never contents or secrets.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/scopes.js';
import { customProfile } from '../helpers/store.js';
import { type ApiFixture, openApiFixture, productFeatures } from './app-fixture.js';

const DEVICE = 'app1';
const OTHER = 'app2';
const SECRET_CONTENT = 'password = hunter2-never-audited\n';

interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly result: string;
}

let fx: ApiFixture;
let dir: string;

const localDevice = (name: string) => ({
  name,
  transport: 'local' as const,
  host: 'localhost',
  port: 22,
  user: 'root',
  identityFile: null,
  hostKey: null,
  mode: 'polling' as const,
  pollIntervalSec: null,
  sudo: false,
  jump: null,
  tags: [],
});

beforeAll(async () => {
  fx = await openApiFixture({}, productFeatures);
  dir = mkdtempSync(join(tmpdir(), 'cw-audit-target-'));
  for (const name of [DEVICE, OTHER]) {
    mkdirSync(join(dir, name));
    await fx.store.addDevice(localDevice(name), [customProfile(name, [`${dir}/${name}/**`])]);
  }
});
afterAll(async () => {
  await fx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const post = (role: Role, url: string, payload?: unknown) =>
  fx.app.inject({ method: 'POST', url, headers: fx.as(role), ...(payload === undefined ? {} : { payload: payload as object }) });

/** The newest audit entry, read as an admin would. */
async function lastAudit(): Promise<AuditEntry> {
  const res = await fx.app.inject({ url: '/api/audit?limit=1', headers: fx.as('admin') });
  expect(res.statusCode).toBe(200);
  return res.json().entries[0] as AuditEntry;
}

/** Writes a file on the "host" and stores it as its latest snapshot, as a capture would; returns the snapshot id. */
async function captured(device: string, name: string, content: string): Promise<{ path: string; snapshotId: string }> {
  const path = join(dir, device, name);
  writeFileSync(path, content);
  const [snapshot] = await fx.store.recordSnapshots([
    { device, path, configType: 'generic', profile: 'custom', changeType: 'modified', source: 'poll', content: Buffer.from(content), detectedAt: new Date().toISOString() },
  ]);
  return { path, snapshotId: (snapshot as { id: string }).id };
}

describe('audit target of body-addressed mutations', () => {
  it('validate: the device and path', async () => {
    const { path } = await captured(DEVICE, 'validate.conf', 'a = 1\n');
    const res = await post('operator', '/api/validate', { device: DEVICE, path, content: SECRET_CONTENT });
    expect(res.statusCode).toBe(200);
    expect(await lastAudit()).toMatchObject({ actor: 'operator', action: 'config.validate', target: `device=${DEVICE} path=${path}`, result: 'ok' });
  });

  it('drift resolve: the device, the path and the snapshot that became the baseline', async () => {
    const { path } = await captured(DEVICE, 'drift.conf', 'a = 1\n');
    writeFileSync(path, 'a = 2\n');
    const res = await post('operator', '/api/drift/resolve', { device: DEVICE, path, resolution: 'accept' });
    expect(res.statusCode).toBe(200);
    const { snapshotId } = res.json();
    expect(await lastAudit()).toMatchObject({ action: 'drift.resolve', target: `device=${DEVICE} path=${path} snapshot=${snapshotId}`, result: 'ok' });
  });

  it('drift resolve that fails: the device and path it was asked for', async () => {
    const path = join(dir, DEVICE, 'never-captured.conf');
    const res = await post('operator', '/api/drift/resolve', { device: DEVICE, path, resolution: 'restore' });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(await lastAudit()).toMatchObject({ action: 'drift.resolve', target: `device=${DEVICE} path=${path}`, result: 'error' });
  });

  it('batch: the batch id and every file, grouped by device; no content', async () => {
    const a = join(dir, DEVICE, 'batch-a.conf');
    const b = join(dir, OTHER, 'batch-b.conf');
    const c = join(dir, DEVICE, 'batch-c.conf');
    const res = await post('operator', '/api/batches', {
      validate: false,
      changes: [
        { device: DEVICE, path: a, content: SECRET_CONTENT },
        { device: OTHER, path: b, contentBase64: Buffer.from(SECRET_CONTENT).toString('base64') },
        { device: DEVICE, path: c, content: 'c = 1\n' },
      ],
    });
    expect(res.statusCode).toBe(200);
    const entry = await lastAudit();
    expect(entry).toMatchObject({
      actor: 'operator',
      action: 'batch.apply',
      target: `device=${DEVICE} path=${a} path=${c} device=${OTHER} path=${b} id=${res.json().batchId}`,
      result: 'ok',
    });
    expect(JSON.stringify(entry)).not.toContain('hunter2');
  });

  it('batch refused as a whole: the files it named, without a batch id', async () => {
    const { path } = await captured(DEVICE, 'refused.conf', 'a = 1\n');
    const res = await post('operator', '/api/batches', { validate: false, changes: [{ device: DEVICE, path, content: 'a = 2\n', expectHash: 'a'.repeat(64) }] });
    expect(res.statusCode).toBe(409);
    expect(await lastAudit()).toMatchObject({ action: 'batch.apply', target: `device=${DEVICE} path=${path}`, result: 'error' });
  });

  it('batch of many files: the first 50 paths and how many more', async () => {
    const changes = Array.from({ length: 53 }, (_, i) => ({ device: DEVICE, path: join(dir, DEVICE, `many-${i}.conf`), content: `n = ${i}\n` }));
    const res = await post('operator', '/api/batches', { validate: false, dryRun: true, changes });
    expect(res.statusCode).toBe(200);
    const target = (await lastAudit()).target as string;
    expect(target.startsWith(`device=${DEVICE} path=${changes[0]?.path} `)).toBe(true);
    expect(target.match(/ path=/g)).toHaveLength(50);
    expect(target.endsWith(` more=3 id=${res.json().batchId}`)).toBe(true);
  });

  it('quotes a path with a space, so the target stays one key=value per item', async () => {
    const { path } = await captured(DEVICE, 'my site.conf', 'a = 1\n');
    expect((await post('operator', '/api/validate', { device: DEVICE, path })).statusCode).toBe(200);
    expect((await lastAudit()).target).toBe(`device=${DEVICE} path=${JSON.stringify(path)}`);
  });

  it('rollback plan: the device and the plan id; applying it adds the device to the plan id from the URL', async () => {
    await captured(DEVICE, 'rollback.conf', 'a = 1\n');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const before = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await captured(DEVICE, 'rollback.conf', 'a = 2\n');
    const planned = await post('operator', '/api/rollback-plans', { device: DEVICE, to: before });
    expect(planned.statusCode).toBe(201);
    const planId = planned.json().id;
    expect(await lastAudit()).toMatchObject({ action: 'rollback.plan', target: `device=${DEVICE} id=${planId}`, result: 'ok' });
    const applied = await post('operator', `/api/rollback-plans/${planId}/apply`);
    expect(applied.statusCode).toBe(200);
    expect(await lastAudit()).toMatchObject({ action: 'rollback.apply', target: `id=${planId} device=${DEVICE}`, result: 'ok' });
  });

  it('restore: the snapshot id from the URL, then the device, path and batch', async () => {
    const { path, snapshotId } = await captured(DEVICE, 'restore.conf', 'a = 1\n');
    await captured(DEVICE, 'restore.conf', 'a = 2\n');
    const res = await post('operator', `/api/snapshots/${snapshotId}/restore`, { validate: false });
    expect(res.statusCode).toBe(200);
    expect(await lastAudit()).toMatchObject({
      action: 'snapshot.restore',
      target: `id=${snapshotId} device=${DEVICE} path=${path} batch=${res.json().batchId}`,
      result: 'ok',
    });
  });

  it('device add: the device name, never its passphrase', async () => {
    const res = await post('admin', '/api/devices', { name: 'box7', local: true, watch: ['/etc/app/*.conf'], passphrase: 'never-audited-passphrase' });
    expect(res.statusCode).toBe(201);
    const entry = await lastAudit();
    expect(entry).toMatchObject({ action: 'device.add', target: 'device=box7', result: 'ok' });
    expect(JSON.stringify(entry)).not.toContain('never-audited');
  });

  it('user add and token create: the user name and the token id, never the password or the token', async () => {
    expect((await post('admin', '/api/users', { name: 'carol', role: 'viewer', password: 'never-audited-password' })).statusCode).toBe(201);
    const added = await lastAudit();
    expect(added).toMatchObject({ action: 'user.add', target: 'name=carol', result: 'ok' });
    const created = await post('admin', '/api/tokens', { user: 'carol' });
    expect(created.statusCode).toBe(201);
    const { token, record } = created.json();
    const entry = await lastAudit();
    expect(entry).toMatchObject({ action: 'token.create', target: `user=carol id=${record.id}`, result: 'ok' });
    expect(JSON.stringify([added, entry])).not.toContain('never-audited');
    expect(JSON.stringify(entry)).not.toContain(token);
  });

  it('logout: the user whose session ended', async () => {
    const login = await fx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { user: 'operator', password: 'operator-password' } });
    expect(login.statusCode).toBe(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0] as string;
    const res = await fx.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-csrf-token': login.json().csrf } });
    expect(res.statusCode).toBe(204);
    expect(await lastAudit()).toMatchObject({ actor: 'operator', action: 'auth.logout', target: 'user=operator', result: 'ok' });
  });

  it('a request refused before its body is read has no target', async () => {
    const res = await post('viewer', '/api/batches', { changes: [{ device: DEVICE, path: join(dir, DEVICE, 'x.conf'), delete: true }] });
    expect(res.statusCode).toBe(403);
    expect(await lastAudit()).toMatchObject({ actor: 'viewer', action: 'batch.apply', target: null, result: 'denied' });
  });
});
