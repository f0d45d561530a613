/**
 * The change-request routes over a real store and a local device: scopes
 * (a viewer token gets 403 on every mutating route), propose → approve →
 * apply as different users, no self-approval, a rejection needs a comment,
 * and diffs redacted for callers without `secrets:view`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, openApiFixture, productFeatures } from './app-fixture.js';
import { customProfile } from '../helpers/store.js';

let fx: ApiFixture;
let root: string;
const compose = (extra: string) => `services:\n  web:\n    image: nginx:1.27\n${extra}`;

beforeAll(async () => {
  fx = await openApiFixture({}, productFeatures);
  root = mkdtempSync(join(tmpdir(), 'cw-cr-api-'));
  writeFileSync(join(root, 'compose.yaml'), compose(''));
  await fx.store.addDevice(
    { name: 'web1', transport: 'local', host: 'localhost', port: 22, user: 'root', identityFile: null, hostKey: null, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] },
    [customProfile('web1', [`${root}/**`])],
  );
  await fx.store.recordSnapshots([
    { device: 'web1', path: join(root, 'compose.yaml'), configType: 'compose', profile: 'custom', changeType: 'initial', source: 'poll', content: Buffer.from(compose('')), detectedAt: new Date().toISOString() },
  ]);
});
afterAll(async () => {
  await fx?.close();
  rmSync(root, { recursive: true, force: true });
});

const body = (extra: string) => ({ title: 'add a cache', changes: [{ device: 'web1', path: join(root, 'compose.yaml'), content: compose(extra) }] });

describe('change-request routes', () => {
  let id: string;

  it('refuses every mutating route to a viewer token', async () => {
    const some = '01HZZZZZZZZZZZZZZZZZZZZZZZ';
    const routes: [string, string, unknown][] = [
      ['POST', '/api/change-requests', body('')],
      ['PUT', `/api/change-requests/${some}`, body('')],
      ['POST', `/api/change-requests/${some}/approve`, {}],
      ['POST', `/api/change-requests/${some}/reject`, { comment: 'no' }],
      ['POST', `/api/change-requests/${some}/apply`, {}],
      ['POST', `/api/change-requests/${some}/rebase`, undefined],
      ['POST', `/api/change-requests/${some}/cancel`, undefined],
      ['PUT', '/api/change-policy', { expiryDays: 3 }],
    ];
    for (const [method, url, payload] of routes) {
      const res = await fx.app.inject({ method: method as 'POST', url, headers: fx.as('viewer'), ...(payload === undefined ? {} : { payload: payload as object }) });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().error.code).toBe('CW_ERR_AUTH_FORBIDDEN');
    }
  });

  it('proposes as the token’s user, approves as another user and applies', async () => {
    const proposed = await fx.app.inject({ method: 'POST', url: '/api/change-requests', headers: fx.as('operator'), payload: body('  cache:\n    image: redis:7\n') });
    expect(proposed.statusCode).toBe(201);
    const view = proposed.json();
    id = view.id;
    expect(view).toMatchObject({ status: 'pending', riskLevel: 'MEDIUM', requiredApprovals: 1, approvals: [], author: 'operator' });
    expect(view.files[0].diff).toContain('+  cache:');

    const listed = await fx.app.inject({ url: '/api/change-requests?status=pending', headers: fx.as('viewer') });
    expect(listed.json().changeRequests.map((r: { id: string }) => r.id)).toContain(id);

    const own = await fx.app.inject({ method: 'POST', url: `/api/change-requests/${id}/approve`, headers: fx.as('approver'), payload: {} });
    expect(own.json()).toMatchObject({ status: 'approved', approvals: [{ user: 'approver' }] });

    const applied = await fx.app.inject({ method: 'POST', url: `/api/change-requests/${id}/apply`, headers: fx.as('operator'), payload: {} });
    expect(applied.statusCode).toBe(200);
    expect(applied.json().status).toBe('applied');
    expect(readFileSync(join(root, 'compose.yaml'), 'utf8')).toBe(compose('  cache:\n    image: redis:7\n'));
  });

  it('answers 403 to an author approving their own request and 400 to a rejection without a comment', async () => {
    const proposed = (await fx.app.inject({ method: 'POST', url: '/api/change-requests', headers: fx.as('approver'), payload: body('  cache:\n    image: redis:8\n') })).json();
    const own = await fx.app.inject({ method: 'POST', url: `/api/change-requests/${proposed.id}/approve`, headers: fx.as('approver'), payload: {} });
    expect(own.statusCode).toBe(403);
    expect(own.json().error.code).toBe('CW_ERR_CHANGE_SELF_REVIEW');
    const bare = await fx.app.inject({ method: 'POST', url: `/api/change-requests/${proposed.id}/reject`, headers: fx.as('admin'), payload: {} });
    expect(bare.statusCode).toBe(400);
    const rejected = await fx.app.inject({ method: 'POST', url: `/api/change-requests/${proposed.id}/reject`, headers: fx.as('admin'), payload: { comment: 'wrong tag' } });
    expect(rejected.json()).toMatchObject({ status: 'rejected', rejections: [{ user: 'admin', comment: 'wrong tag' }] });
    const apply = await fx.app.inject({ method: 'POST', url: `/api/change-requests/${proposed.id}/apply`, headers: fx.as('operator'), payload: {} });
    expect(apply.statusCode).toBe(409);
    expect(apply.json().error.code).toBe('CW_ERR_CHANGE_STATE');
  });

  it('redacts secret values in diffs for callers without secrets:view', async () => {
    const proposed = (
      await fx.app.inject({
        method: 'POST',
        url: '/api/change-requests',
        headers: fx.as('admin'),
        payload: body('  cache:\n    image: redis:8\n    environment:\n      REDIS_PASSWORD: hunter2-very-secret\n'),
      })
    ).json();
    expect(proposed.files[0].diff).toContain('hunter2-very-secret');
    const shown = (await fx.app.inject({ url: `/api/change-requests/${proposed.id}`, headers: fx.as('viewer') })).json();
    expect(shown.files[0].diff).not.toContain('hunter2-very-secret');
  });
});
