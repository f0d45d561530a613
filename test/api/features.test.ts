/**
 * The feature routes over a real store and a local device in a temp
 * directory, with the real `nginx -t`: restore (dry run and real), drift
 * and its resolution, rollback plans, batches, validation and the
 * dependency graph; scopes, audit, redaction and bad input.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/scopes.js';
import type { ConfigType } from '../../src/parsers/parser.js';
import { DependencyEdgeStore } from '../../src/store/dependency-edges.js';
import { commandExists, describeWith } from '../helpers/components.js';
import { customProfile } from '../helpers/store.js';
import { type ApiFixture, openApiFixture, productFeatures } from './app-fixture.js';

const nginxPresent = commandExists('nginx') || existsSync('/usr/sbin/nginx');
const DEVICE = 'web1';
const VALID = 'server { listen 127.0.0.1:18091; }\n';
const EDITED = 'server { listen 127.0.0.1:18092; }\n';
const BROKEN = 'server { listen 127.0.0.1:18093;\n';

describeWith('nginx (apt-get install nginx)', nginxPresent, 'feature routes: write-back, validation, dependency graph', () => {
  let fx: ApiFixture;
  let dir: string;
  let nginx: string;
  let site: string;

  beforeAll(async () => {
    fx = await openApiFixture({}, productFeatures);
    dir = mkdtempSync(join(tmpdir(), 'cw-features-'));
    nginx = join(dir, 'nginx');
    site = join(nginx, 'conf.d', 'site.conf');
    mkdirSync(join(nginx, 'conf.d'), { recursive: true });
    writeFileSync(join(nginx, 'nginx.conf'), `error_log stderr;\npid ${join(nginx, 'nginx.pid')};\nevents {}\nhttp {\n  access_log off;\n  include ${nginx}/conf.d/*.conf;\n}\n`);
    await fx.store.addDevice(
      { name: DEVICE, transport: 'local', host: 'localhost', port: 22, user: 'root', identityFile: null, hostKey: null, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] },
      [customProfile(DEVICE, [`${dir}/**`])],
    );
  });
  afterAll(async () => {
    await fx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a file on the "host" and stores it as its latest snapshot, as a capture would; returns the snapshot id. */
  const write = async (path: string, content: string, type: ConfigType = 'nginx'): Promise<string> => {
    const first = !existsSync(path);
    writeFileSync(path, content);
    const [snapshot] = await fx.store.recordSnapshots([
      { device: DEVICE, path, configType: type, profile: 'custom', changeType: first ? 'initial' : 'modified', source: 'poll', content: Buffer.from(content), detectedAt: new Date().toISOString() },
    ]);
    return snapshot!.id;
  };

  const post = (role: Role, url: string, payload: unknown) => fx.app.inject({ method: 'POST', url, headers: fx.as(role), payload: payload as object });
  const get = (role: Role, url: string) => fx.app.inject({ method: 'GET', url, headers: fx.as(role) });
  const lastAudit = async () => (await fx.store.listAudit({ limit: 1 }))[0];

  describe('restore', () => {
    let versionA: string;
    beforeAll(async () => {
      versionA = await write(site, VALID);
      await write(site, EDITED);
    });
    beforeEach(async () => {
      if (readFileSync(site, 'utf8') !== EDITED) await write(site, EDITED);
    });

    it('shows the diff and the nginx -t result on a dry run and writes nothing', async () => {
      const res = await post('operator', `/api/snapshots/${versionA}/restore`, { dryRun: true });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ status: 'dry-run', device: DEVICE, path: site, restoredFrom: versionA });
      expect(body.files).toHaveLength(1);
      expect(body.files[0]).toMatchObject({ action: 'write', validation: { status: 'valid', tool: 'nginx -t' } });
      expect(body.files[0].diff).toContain('-server { listen 127.0.0.1:18092; }');
      expect(body.files[0].diff).toContain('+server { listen 127.0.0.1:18091; }');
      expect(readFileSync(site, 'utf8')).toBe(EDITED);
    });

    it('restores as an operator, records the operator as the actor, and audits it', async () => {
      const res = await post('operator', `/api/snapshots/${versionA}/restore`, {});
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.status).toBe('applied');
      expect(readFileSync(site, 'utf8')).toBe(VALID);
      const stored = await fx.store.getSnapshot(body.files[0].snapshotId);
      expect(stored).toMatchObject({ source: 'restore', actor: 'operator', contentHash: body.files[0].toHash });
      expect(await lastAudit()).toMatchObject({
        actor: 'operator',
        action: 'snapshot.restore',
        target: `id=${versionA} device=${DEVICE} path=${site} batch=${res.json().batchId}`,
        result: 'ok',
      });
    });

    it('refuses a viewer with 403, writes nothing and audits the refusal', async () => {
      const res = await post('viewer', `/api/snapshots/${versionA}/restore`, {});
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('CW_ERR_AUTH_FORBIDDEN');
      expect(readFileSync(site, 'utf8')).toBe(EDITED);
      expect(await lastAudit()).toMatchObject({ actor: 'viewer', action: 'snapshot.restore', result: 'denied' });
    });

    it('refuses a version nginx -t rejects (422), writes nothing and audits the failure', async () => {
      const broken = await write(site, BROKEN);
      await write(site, EDITED);
      const res = await post('operator', `/api/snapshots/${broken}/restore`, {});
      expect(res.statusCode).toBe(422);
      expect(res.json().error.code).toBe('CW_ERR_WRITEBACK_INVALID');
      expect(readFileSync(site, 'utf8')).toBe(EDITED);
      expect(await lastAudit()).toMatchObject({ actor: 'operator', action: 'snapshot.restore', result: 'error' });
    });

    it('refuses to overwrite a change it has not seen (409) unless forced', async () => {
      writeFileSync(site, 'server { listen 127.0.0.1:18094; }\n');
      const refused = await post('operator', `/api/snapshots/${versionA}/restore`, {});
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error.code).toBe('CW_ERR_WRITEBACK_CONFLICT');
      const forced = await post('operator', `/api/snapshots/${versionA}/restore`, { force: true });
      expect(forced.statusCode).toBe(200);
      expect(readFileSync(site, 'utf8')).toBe(VALID);
    });

    it('answers 404 for an unknown snapshot and 400 naming the field for an invalid body', async () => {
      const unknown = await post('operator', '/api/snapshots/01HZZZZZZZZZZZZZZZZZZZZZZZ/restore', {});
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error.code).toBe('CW_ERR_NOT_FOUND');
      const invalid = await post('operator', `/api/snapshots/${versionA}/restore`, { dryRun: 'yes' });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json().error.message).toContain('dryRun');
      const unknownKey = await post('operator', `/api/snapshots/${versionA}/restore`, { overwrite: true });
      expect(unknownKey.statusCode).toBe(400);
      expect(unknownKey.json().error.message).toContain('overwrite');
    });
  });

  it('redacts secrets in write-back diffs for callers without secrets:view', async () => {
    const env = join(dir, 'app.env');
    const old = await write(env, 'DB_PASSWORD=hunter2\nPORT=80\n', 'generic');
    await write(env, 'DB_PASSWORD=swordfish\nPORT=81\n', 'generic');
    const asOperator = (await post('operator', `/api/snapshots/${old}/restore`, { dryRun: true })).json();
    expect(asOperator.files[0].diff).toContain('DB_PASSWORD=«redacted»');
    expect(asOperator.files[0].diff).not.toMatch(/hunter2|swordfish/);
    expect(asOperator.files[0].diff).toContain('+PORT=80');
    const asAdmin = (await post('admin', `/api/snapshots/${old}/restore`, { dryRun: true })).json();
    expect(asAdmin.files[0].diff).toContain('+DB_PASSWORD=hunter2');
  });

  it('reports drift and resolves it by accepting the live file', async () => {
    const drifting = join(nginx, 'conf.d', 'drift.conf');
    await write(drifting, VALID);
    writeFileSync(drifting, EDITED);
    const report = await get('viewer', `/api/drift?device=${DEVICE}`);
    expect(report.statusCode).toBe(200);
    // Files the other tests changed through plain captures have drifted too: a capture does not move the baseline.
    const findingsFor = (body: { findings: { path: string }[] }) => body.findings.filter((f) => f.path === drifting);
    expect(findingsFor(report.json())).toEqual([expect.objectContaining({ device: DEVICE, status: 'drifted' })]);
    expect((await get('viewer', '/api/drift?device=nosuch')).statusCode).toBe(404);

    expect((await post('viewer', '/api/drift/resolve', { device: DEVICE, path: drifting, resolution: 'accept' })).statusCode).toBe(403);
    const resolved = await post('operator', '/api/drift/resolve', { device: DEVICE, path: drifting, resolution: 'accept' });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({ device: DEVICE, path: drifting, resolution: 'accept' });
    expect(await lastAudit()).toMatchObject({ actor: 'operator', action: 'drift.resolve', result: 'ok' });
    expect(findingsFor((await get('viewer', `/api/drift?device=${DEVICE}`)).json())).toEqual([]);
    const baseline = await fx.store.getSnapshot(resolved.json().snapshotId);
    expect(await fx.store.readContent(baseline!)).toEqual(Buffer.from(EDITED));
  });

  it('resolves drift by restoring the baseline, and refuses a traversing path', async () => {
    const drifting = join(nginx, 'conf.d', 'restore-drift.conf');
    await write(drifting, VALID);
    writeFileSync(drifting, EDITED);
    const resolved = await post('operator', '/api/drift/resolve', { device: DEVICE, path: drifting, resolution: 'restore' });
    expect(resolved.statusCode).toBe(200);
    expect(readFileSync(drifting, 'utf8')).toBe(VALID);
    const traversal = await post('operator', '/api/drift/resolve', { device: DEVICE, path: `${nginx}/../../etc/passwd`, resolution: 'restore' });
    expect(traversal.statusCode).toBe(400);
    expect(traversal.json().error.message).toContain('path');
  });

  it('plans a rollback to a time, shows it, applies it, and refuses to apply it twice', async () => {
    const file = join(nginx, 'conf.d', 'rollback.conf');
    await write(file, VALID);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const before = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await write(file, EDITED);

    const planned = await post('operator', '/api/rollback-plans', { device: DEVICE, to: before });
    expect(planned.statusCode).toBe(201);
    const plan = planned.json();
    expect(plan).toMatchObject({ device: DEVICE, status: 'planned', target: { time: before } });
    expect(plan.steps).toEqual([expect.objectContaining({ path: file, action: 'restore' })]);
    expect((await get('viewer', `/api/rollback-plans/${plan.id}`)).json()).toMatchObject({ id: plan.id, status: 'planned' });

    const applied = await post('operator', `/api/rollback-plans/${plan.id}/apply`, undefined);
    expect(applied.statusCode).toBe(200);
    expect(applied.json().status).toBe('applied');
    expect(applied.json().steps[0].result).toMatchObject({ status: 'ok' });
    expect(readFileSync(file, 'utf8')).toBe(VALID);
    expect(await lastAudit()).toMatchObject({ action: 'rollback.apply', target: `id=${plan.id} device=${DEVICE}`, result: 'ok' });

    const again = await post('operator', `/api/rollback-plans/${plan.id}/apply`, undefined);
    expect(again.statusCode).toBe(400);
    expect((await get('viewer', '/api/rollback-plans/01HZZZZZZZZZZZZZZZZZZZZZZZ')).statusCode).toBe(404);
    const both = await post('operator', '/api/rollback-plans', { device: DEVICE, to: before, changeSetId: '01HZZZZZZZZZZZZZZZZZZZZZZZ' });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.message).toContain('to');
  });

  it('applies a batch of text, base64 and mode changes atomically, and refuses it whole on an expectHash mismatch', async () => {
    const conf = join(nginx, 'conf.d', 'batch.conf');
    const blob = join(dir, 'data.bin');
    await write(conf, VALID);
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10]);

    const mismatch = await post('operator', '/api/batches', {
      changes: [
        { device: DEVICE, path: conf, content: EDITED },
        { device: DEVICE, path: blob, contentBase64: bytes.toString('base64'), expectHash: 'a'.repeat(64) },
      ],
    });
    expect(mismatch.statusCode).toBe(409);
    expect(readFileSync(conf, 'utf8')).toBe(VALID);
    expect(existsSync(blob)).toBe(false);

    const dry = await post('operator', '/api/batches', { dryRun: true, changes: [{ device: DEVICE, path: conf, content: EDITED }] });
    expect(dry.json()).toMatchObject({ status: 'dry-run', files: [{ action: 'write', validation: { status: 'valid' } }] });
    expect(readFileSync(conf, 'utf8')).toBe(VALID);

    const res = await post('operator', '/api/batches', {
      changes: [
        { device: DEVICE, path: conf, content: EDITED },
        { device: DEVICE, path: blob, contentBase64: bytes.toString('base64'), mode: '0600' },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'applied', reloads: [] });
    expect(res.json().files.map((f: { action: string }) => f.action)).toEqual(['write', 'write']);
    expect(readFileSync(conf, 'utf8')).toBe(EDITED);
    expect(readFileSync(blob)).toEqual(bytes);
    expect(statSync(blob).mode & 0o777).toBe(0o600);
    expect(await lastAudit()).toMatchObject({ actor: 'operator', action: 'batch.apply', result: 'ok' });
    expect((await post('viewer', '/api/batches', { changes: [{ device: DEVICE, path: conf, delete: true }] })).statusCode).toBe(403);
  });

  it('refuses malformed batches with 400 naming the entry and field', async () => {
    const conf = join(nginx, 'conf.d', 'batch.conf');
    const twoSources = await post('operator', '/api/batches', { changes: [{ device: DEVICE, path: conf, content: 'x', delete: true }] });
    expect(twoSources.statusCode).toBe(400);
    expect(twoSources.json().error.message).toMatch(/changes\.0\.content: .*exactly one of/);
    const traversal = await post('operator', '/api/batches', { changes: [{ device: DEVICE, path: `${dir}/../x`, content: 'x' }] });
    expect(traversal.statusCode).toBe(400);
    expect(traversal.json().error.message).toContain('changes.0.path');
    const badMode = await post('operator', '/api/batches', { changes: [{ device: DEVICE, path: conf, content: 'x', mode: '999' }] });
    expect(badMode.json().error.message).toContain('changes.0.mode');
    expect((await post('operator', '/api/batches', { changes: [] })).statusCode).toBe(400);
  });

  it('validates candidate content with the real nginx -t', async () => {
    const conf = join(nginx, 'conf.d', 'candidate.conf');
    await write(conf, VALID);
    const valid = await post('operator', '/api/validate', { device: DEVICE, path: conf, content: EDITED });
    expect(valid.statusCode).toBe(200);
    expect(valid.json()).toMatchObject({ device: DEVICE, path: conf, status: 'valid', tool: 'nginx -t', configType: 'nginx', recorded: false });
    const invalid = await post('operator', '/api/validate', { device: DEVICE, path: conf, contentBase64: Buffer.from(BROKEN).toString('base64') });
    expect(invalid.json()).toMatchObject({ status: 'invalid', tool: 'nginx -t' });
    expect(invalid.json().output).toMatch(/unexpected end of file/);
    const live = await post('operator', '/api/validate', { device: DEVICE, path: conf });
    expect(live.json()).toMatchObject({ status: 'valid', recorded: true });
    expect((await fx.store.getTrackedFile(DEVICE, conf))?.validationStatus).toBe('valid');
    expect(await lastAudit()).toMatchObject({ actor: 'operator', action: 'config.validate', result: 'ok' });

    expect((await post('viewer', '/api/validate', { device: DEVICE, path: conf })).statusCode).toBe(403);
    expect((await post('operator', '/api/validate', { device: 'nosuch', path: conf })).statusCode).toBe(404);
    const traversal = await post('operator', '/api/validate', { device: DEVICE, path: `${nginx}/conf.d/../../../etc/shadow` });
    expect(traversal.statusCode).toBe(400);
    expect(traversal.json().error.message).toContain('path');
    const nul = await post('operator', '/api/validate', { device: DEVICE, path: `${conf}\u0000x` });
    expect(nul.statusCode).toBe(400);
    const missingDevice = await post('operator', '/api/validate', { path: conf });
    expect(missingDevice.statusCode).toBe(400);
    expect(missingDevice.json().error.message).toContain('device');

    // a watched name that is a link out of the watched files, or lies behind a directory link, is not read
    const secretDir = mkdtempSync(join(tmpdir(), 'cw-features-secret-'));
    try {
      writeFileSync(join(secretDir, 'secret.conf'), 'VALIDATE-SECRET-MARKER\n', { mode: 0o600 });
      symlinkSync(join(secretDir, 'secret.conf'), join(nginx, 'conf.d', 'leak.conf'));
      symlinkSync(secretDir, join(nginx, 'conf.d', 'outside'));
      for (const [path, code] of [
        [join(nginx, 'conf.d', 'leak.conf'), 'CW_ERR_FILE_PERMISSION'],
        [join(nginx, 'conf.d', 'outside', 'secret.conf'), 'CW_ERR_FILE_NOT_FOUND'],
      ] as const) {
        const refused = await post('operator', '/api/validate', { device: DEVICE, path });
        expect(refused.json().error?.code, path).toBe(code);
        expect(refused.body).not.toContain('VALIDATE-SECRET-MARKER');
      }
    } finally {
      rmSync(join(nginx, 'conf.d', 'leak.conf'), { force: true });
      rmSync(join(nginx, 'conf.d', 'outside'), { force: true });
      rmSync(secretDir, { recursive: true, force: true });
    }
  });

  it('documents every feature route with its scope in the OpenAPI document', async () => {
    const paths = (await fx.app.inject({ url: '/api/openapi.json' })).json().paths;
    expect(paths['/api/snapshots/{id}/restore'].post['x-scope']).toBe('config:restore');
    expect(paths['/api/drift'].get['x-scope']).toBe('config:view');
    expect(paths['/api/drift/resolve'].post['x-scope']).toBe('config:restore');
    expect(paths['/api/rollback-plans'].post['x-scope']).toBe('config:restore');
    expect(paths['/api/rollback-plans/{id}/apply'].post['x-scope']).toBe('config:restore');
    expect(paths['/api/batches'].post['x-scope']).toBe('config:edit');
    expect(paths['/api/validate'].post['x-scope']).toBe('config:edit');
    expect(paths['/api/devices/{device}/deps'].get['x-scope']).toBe('config:view');
  });

  it('serves the dependency graph, and one service’s upstream and downstream', async () => {
    const edges = new DependencyEdgeStore(fx.store);
    await edges.addManual(DEVICE, 'proxy', 'app');
    await edges.addManual(DEVICE, 'app', 'db');
    const graph = await get('viewer', `/api/devices/${DEVICE}/deps`);
    expect(graph.statusCode).toBe(200);
    expect(graph.json().nodes.map((n: { name: string }) => n.name).sort()).toEqual(['app', 'db', 'proxy']);
    expect(graph.json().edges).toHaveLength(2);
    expect(graph.json().edges[0]).toMatchObject({ kind: 'depends_on', source: 'manual' });
    const app = await get('viewer', `/api/devices/${DEVICE}/deps?service=app`);
    expect(app.json()).toEqual({ service: 'app', upstream: ['db'], downstream: ['proxy'] });
    expect((await get('viewer', `/api/devices/${DEVICE}/deps?service=nosuch`)).statusCode).toBe(404);
    expect((await get('viewer', '/api/devices/nosuch/deps')).statusCode).toBe(404);
  });
});
