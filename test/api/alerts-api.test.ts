/**
 * /api/alerts/*: channels, rules and test messages need alerts:manage
 * (admins); the log needs config:view. URLs come back redacted, and the
 * audit log names the channel, never its URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpReceiver, startHttpReceiver } from '../../bench/helpers/receivers.js';
import { type ApiFixture, openApiFixture, productFeatures } from './app-fixture.js';

const TOKEN = 'GotifyTok3n';

describe('alert routes', () => {
  let fx: ApiFixture;
  let receiver: HttpReceiver;
  beforeAll(async () => {
    fx = await openApiFixture({}, productFeatures);
    receiver = await startHttpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await fx.close();
  });

  it('lets only admins manage channels and rules; URLs are returned redacted', async () => {
    const url = `gotify://127.0.0.1:${receiver.port}/${TOKEN}`;
    for (const role of ['viewer', 'operator', 'approver'] as const) {
      const denied = await fx.app.inject({ method: 'POST', url: '/api/alerts/channels', headers: fx.as(role), payload: { name: 'g', url } });
      expect(denied.statusCode, role).toBe(403);
      expect((await fx.app.inject({ url: '/api/alerts/channels', headers: fx.as(role) })).statusCode, role).toBe(403);
    }
    const added = await fx.app.inject({ method: 'POST', url: '/api/alerts/channels', headers: fx.as('admin'), payload: { name: 'g', url, minRisk: 'HIGH' } });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ name: 'g', kind: 'gotify', url: `gotify://127.0.0.1:${receiver.port}/****`, minRisk: 'HIGH' });
    const list = await fx.app.inject({ url: '/api/alerts/channels', headers: fx.as('admin') });
    expect(list.body).not.toContain(TOKEN);
    const bad = await fx.app.inject({ method: 'POST', url: '/api/alerts/channels', headers: fx.as('admin'), payload: { name: 'x', url: 'irc://x' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('CW_ERR_ALERT_CHANNEL_URL');

    const rule = await fx.app.inject({ method: 'POST', url: '/api/alerts/rules', headers: fx.as('admin'), payload: { name: 'night', channels: ['g'], quiet: '22:00-07:00', digestSec: 300 } });
    expect(rule.statusCode).toBe(201);
    expect(rule.json()).toMatchObject({ name: 'night', channels: ['g'], minRisk: 'LOW', quiet: { start: '22:00', end: '07:00' }, digestSec: 300 });
    expect((await fx.app.inject({ method: 'POST', url: '/api/alerts/rules', headers: fx.as('admin'), payload: { name: 'n2', channels: ['nope'] } })).statusCode).toBe(404);

    const audit = await fx.store.listAudit({ limit: 20 });
    expect(audit.filter((a) => a.action === 'alert.channel.add').map((a) => a.target)).toContain('channel=g');
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
  });

  it("sends a test message and shows it in the log, which viewers may read", async () => {
    const test = await fx.app.inject({ method: 'POST', url: '/api/alerts/channels/g/test', headers: fx.as('admin') });
    expect(test.json()).toEqual({ delivered: true, status: 200 });
    expect(receiver.requests.at(-1)?.path).toBe(`/message?token=${TOKEN}`);
    expect((await fx.app.inject({ method: 'POST', url: '/api/alerts/channels/g/test', headers: fx.as('operator') })).statusCode).toBe(403);
    const log = await fx.app.inject({ url: '/api/alerts/log?limit=5', headers: fx.as('viewer') });
    expect(log.statusCode).toBe(200);
    expect(log.json().deliveries).toEqual([expect.objectContaining({ channel: 'g', event: 'alert.test', status: 'sent', attempts: 1, riskLevel: 'LOW', receiverStatus: '200' })]);
    expect((await fx.app.inject({ url: '/api/alerts/log' })).statusCode).toBe(401);
    expect((await fx.app.inject({ method: 'DELETE', url: '/api/alerts/rules/night', headers: fx.as('admin') })).statusCode).toBe(204);
    expect((await fx.app.inject({ method: 'DELETE', url: '/api/alerts/channels/g', headers: fx.as('admin') })).statusCode).toBe(204);
    expect((await fx.app.inject({ method: 'DELETE', url: '/api/alerts/channels/g', headers: fx.as('admin') })).statusCode).toBe(404);
  });
});
