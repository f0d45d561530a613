/**
 * The compliance routes over a real store: a run (scope config:edit), the
 * stored results and rules (config:view), waivers (config:approve, audited),
 * deny by default, the exact run shape of SPEC §11.3, and the score trend
 * (config:view) with a point for the run and one for the waiver.
 */
import { afterAll, beforeAll, expect, it, describe } from 'vitest';
import { sshdParser } from '../../src/parsers/sshd/sshd.parser.js';
import { type ApiFixture, openApiFixture, productFeatures } from './app-fixture.js';

const DEVICE = 'bastion';
const PATH = '/etc/ssh/sshd_config';

describe('compliance routes', () => {
  let fx: ApiFixture;

  beforeAll(async () => {
    fx = await openApiFixture({}, productFeatures);
    await fx.store.addDevice(
      { name: DEVICE, transport: 'local', host: 'localhost', port: 22, user: 'root', identityFile: null, hostKey: null, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] },
      [],
    );
    const content = Buffer.from('PermitRootLogin yes\nPasswordAuthentication no\n');
    const [snapshot] = await fx.store.recordSnapshots([
      { device: DEVICE, path: PATH, configType: 'sshd', profile: 'custom', changeType: 'initial', source: 'poll', content, detectedAt: new Date().toISOString() },
    ]);
    await fx.store.annotateSnapshot(snapshot!.id, { parsed: sshdParser.parse(content, { path: PATH }).data, parseErrors: [] });
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('denies without credentials and without the scope', async () => {
    expect((await fx.app.inject({ method: 'GET', url: '/api/compliance' })).statusCode).toBe(401);
    expect((await fx.app.inject({ method: 'POST', url: '/api/compliance/run', headers: fx.as('viewer'), payload: {} })).statusCode).toBe(403);
    const waive = { rule: 'sshd.permit-root-login', device: DEVICE, reason: 'jump host' };
    expect((await fx.app.inject({ method: 'POST', url: '/api/compliance/waivers', headers: fx.as('operator'), payload: waive })).statusCode).toBe(403);
  });

  it('runs the rules and answers the SPEC shape; results and rules are readable with config:view', async () => {
    const run = await fx.app.inject({ method: 'POST', url: '/api/compliance/run', headers: fx.as('operator'), payload: { device: DEVICE } });
    expect(run.statusCode).toBe(200);
    const body = run.json();
    expect(Object.keys(body.summary).sort()).toEqual(['error', 'fail', 'pass', 'waived']);
    expect(body.findings).toContainEqual({ rule: 'sshd.permit-root-login', severity: 'high', device: DEVICE, path: PATH, status: 'fail', message: 'PermitRootLogin is yes', line: 1 });
    expect(body.findings.some((f: { rule: string }) => f.rule === 'sshd.password-authentication')).toBe(false);

    const results = (await fx.app.inject({ method: 'GET', url: `/api/compliance?device=${DEVICE}`, headers: fx.as('viewer') })).json();
    expect(results.results).toContainEqual(expect.objectContaining({ rule: 'sshd.password-authentication', status: 'pass', path: PATH }));
    const rules = (await fx.app.inject({ method: 'GET', url: '/api/compliance/rules', headers: fx.as('viewer') })).json();
    expect(rules.rules.filter((r: { id: string }) => r.id.startsWith('nginx.')).length).toBeGreaterThanOrEqual(15);
  });

  it('waives with config:approve, audited, and the result is waived at once', async () => {
    const res = await fx.app.inject({
      method: 'POST',
      url: '/api/compliance/waivers',
      headers: fx.as('approver'),
      payload: { rule: 'sshd.permit-root-login', device: DEVICE, path: PATH, reason: 'jump host', expires: '2999-01-01T00:00:00Z' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ rule: 'sshd.permit-root-login', device: DEVICE, path: PATH, createdBy: 'approver', expiresAt: '2999-01-01T00:00:00.000Z' });
    const [audit] = await fx.store.listAudit({ limit: 1 });
    expect(audit).toMatchObject({ actor: 'approver', action: 'compliance.waive', result: 'ok' });
    const results = (await fx.app.inject({ method: 'GET', url: '/api/compliance', headers: fx.as('viewer') })).json();
    expect(results.results).toContainEqual(expect.objectContaining({ rule: 'sshd.permit-root-login', status: 'waived' }));
    const waivers = (await fx.app.inject({ method: 'GET', url: '/api/compliance/waivers', headers: fx.as('viewer') })).json();
    expect(waivers.waivers).toHaveLength(1);
    const unknown = await fx.app.inject({ method: 'POST', url: '/api/compliance/waivers', headers: fx.as('approver'), payload: { rule: 'sshd.nope', device: DEVICE, reason: 'x' } });
    expect(unknown.statusCode).toBe(404);
  });

  it('answers the score trend per pack with config:view: the run, then the waiver that moved it', async () => {
    expect((await fx.app.inject({ method: 'GET', url: `/api/compliance/trend?device=${DEVICE}` })).statusCode).toBe(401);
    const res = await fx.app.inject({ method: 'GET', url: `/api/compliance/trend?device=${DEVICE}`, headers: fx.as('viewer') });
    expect(res.statusCode).toBe(200);
    const sshd = (res.json().trend as { device: string; pack: string; fail: number; waived: number; score: number | null }[]).filter((p) => p.pack === 'sshd');
    expect(sshd.map((p) => p.device)).toEqual([DEVICE, DEVICE]);
    const [run, waived] = sshd;
    expect(run).toMatchObject({ waived: 0 });
    expect(run!.fail).toBeGreaterThan(0);
    expect(waived).toMatchObject({ fail: run!.fail - 1, waived: 1 });
    expect(waived!.score).toBeGreaterThan(run!.score ?? 100);
  });
});
