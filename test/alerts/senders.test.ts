/**
 * Every channel kind against a real receiver on loopback: the request a
 * service gets (method, path, headers, signature, body fields) and the
 * mail an SMTP server gets; which failures are worth a retry.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/alerts/alert.js';
import { parseChannelUrl, redactChannelUrl } from '../../src/alerts/channel-url.js';
import { sendAlert } from '../../src/alerts/senders.js';
import { type HttpReceiver, type SmtpReceiver, startHttpReceiver, startSmtpReceiver } from '../../bench/helpers/receivers.js';

const alert: Alert = {
  event: 'config.changeset',
  device: 'proxy',
  path: '/etc/nginx/conf.d/app.conf',
  paths: ['/etc/nginx/conf.d/app.conf', '/etc/nginx/conf.d/api.conf'],
  riskLevel: 'HIGH',
  title: 'Proxy config bulk update (2 files) on proxy — HIGH',
  snapshotId: '01JABCDEFGHJKMNPQRSTVWXYZ0',
  changeSetId: '01JABCDEFGHJKMNPQRSTVWXYZ1',
  summary: 'server app.example.com: proxy_pass changed',
  reasons: ['server app.example.com: proxy_pass changed'],
  affectedServices: ['app.example.com'],
  downstreamServices: ['app'],
  diff: '-proxy_pass http://a;\n+proxy_pass http://b;',
  link: 'https://confwatch.example.com/devices/proxy/file?path=%2Fetc%2Fnginx%2Fconf.d%2Fapp.conf',
  source: 'realtime',
  actor: null,
  action: 'trigger',
  incidentKey: 'proxy:/etc/nginx/conf.d/app.conf:proxy-pass',
  at: '2026-12-02T10:00:00.000Z',
};

describe('alert senders against real receivers', () => {
  let http: HttpReceiver;
  let smtp: SmtpReceiver;
  const hostPort = () => `127.0.0.1:${http.port}`;
  const last = () => {
    const request = http.requests.at(-1);
    if (!request) throw new Error('nothing received');
    return { ...request, json: JSON.parse(request.body) };
  };

  beforeAll(async () => {
    http = await startHttpReceiver();
    smtp = await startSmtpReceiver();
  });
  afterAll(async () => {
    await http.close();
    await smtp.close();
  });

  it('ntfy: JSON publish with topic, priority from risk, tags, click URL and basic auth', async () => {
    const result = await sendAlert(parseChannelUrl(`ntfy://bob:s3cret@${hostPort()}/ops-alerts`), alert);
    expect(result).toEqual({ delivered: true, status: 200, retryable: false });
    const got = last();
    expect([got.method, got.path]).toEqual(['POST', '/']);
    expect(got.headers.authorization).toBe(`Basic ${Buffer.from('bob:s3cret').toString('base64')}`);
    expect(got.json).toMatchObject({ topic: 'ops-alerts', title: alert.title, priority: 4, tags: ['confwatch', 'high', 'proxy'], click: alert.link });
    expect(got.json.message).toContain(alert.summary);
  });

  it('gotify: /message with the token, priority 0–10 and the click URL in extras', async () => {
    await sendAlert(parseChannelUrl(`gotify://${hostPort()}/AppTok3n`), alert);
    const got = last();
    expect([got.method, got.path]).toEqual(['POST', '/message?token=AppTok3n']);
    expect(got.json).toMatchObject({ title: alert.title, priority: 8, extras: { 'client::notification': { click: { url: alert.link } } } });
    expect(got.json.message).toContain('proxy_pass http://b;');
  });

  it('discord and slack: formatted webhooks with risk colour, device, path, summary and diff', async () => {
    await sendAlert(parseChannelUrl(`discord://12345/DiscTok?base=${http.url}`), alert);
    const discord = last();
    expect([discord.method, discord.path]).toEqual(['POST', '/api/webhooks/12345/DiscTok']);
    const [embed] = discord.json.embeds;
    expect(embed).toMatchObject({ title: alert.title, color: 0xef6c00, url: alert.link });
    expect(embed.fields).toEqual(expect.arrayContaining([{ name: 'Device', value: 'proxy', inline: true }, { name: 'Path', value: alert.path }]));
    expect(embed.description).toContain('```diff');

    await sendAlert(parseChannelUrl(`slack://TA/TB/TC?base=${http.url}`), alert);
    const slack = last();
    expect([slack.method, slack.path]).toEqual(['POST', '/services/TA/TB/TC']);
    expect(slack.json.text).toBe(alert.title);
    expect(slack.json.attachments[0]).toMatchObject({ color: '#ef6c00', title_link: alert.link });
    expect(slack.json.attachments[0].text).toContain(alert.summary);
  });

  it('pagerduty: Events API v2 trigger and resolve under one dedup_key', async () => {
    const url = `pagerduty://R0utingKey42?base=${http.url}`;
    await sendAlert(parseChannelUrl(url), alert);
    const trigger = last();
    expect([trigger.method, trigger.path]).toEqual(['POST', '/v2/enqueue']);
    expect(trigger.json).toMatchObject({
      routing_key: 'R0utingKey42',
      event_action: 'trigger',
      dedup_key: alert.incidentKey,
      payload: { summary: alert.title, source: 'proxy', severity: 'error' },
      links: [{ href: alert.link }],
    });
    await sendAlert(parseChannelUrl(url), { ...alert, action: 'resolve' });
    expect(last().json).toEqual({ routing_key: 'R0utingKey42', event_action: 'resolve', dedup_key: alert.incidentKey });
  });

  it('json: the alert as JSON, signed with HMAC-SHA256 of the exact body when ?secret is given', async () => {
    await sendAlert(parseChannelUrl(`json://${hostPort()}/hooks/cw?secret=hm4c&team=ops`), alert);
    const got = last();
    expect([got.method, got.path]).toEqual(['POST', '/hooks/cw?team=ops']);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-confwatch-signature']).toBe(`sha256=${createHmac('sha256', 'hm4c').update(got.body).digest('hex')}`);
    for (const field of ['event', 'device', 'path', 'riskLevel', 'title', 'snapshotId', 'changeSetId', 'summary', 'diff', 'link']) {
      expect(got.json[field], field).toEqual(alert[field as keyof Alert]);
    }
    await sendAlert(parseChannelUrl(`json://${hostPort()}/plain`), alert);
    expect(last().headers['x-confwatch-signature']).toBeUndefined();
  });

  it('mailto: SMTP with login, plain text and HTML carrying the diff', async () => {
    const result = await sendAlert(parseChannelUrl(`mailto://ops%40example.com:pw@127.0.0.1:${smtp.port}?to=oncall@example.com`), alert);
    expect(result.delivered).toBe(true);
    expect(String(result.status)).toMatch(/^250/);
    const mail = smtp.mails.at(-1);
    expect(mail).toMatchObject({ from: 'ops@example.com', to: ['oncall@example.com'], user: 'ops@example.com' });
    // quoted-printable soft line breaks undone; the subject is an encoded word (it has an em dash)
    const raw = (mail?.raw ?? '').replace(/=\r?\n/g, '');
    expect(raw).toMatch(/^Subject: =\?UTF-8\?/m);
    expect(raw).toContain('text/plain');
    expect(raw).toContain('text/html');
    expect(raw).toContain('Proxy config bulk update (2 files) on proxy');
    expect(raw).toContain('proxy_pass http://b;');
  });

  it('tells retryable failures (5xx, refused, SMTP 4xx) from final ones (4xx, SMTP 5xx)', async () => {
    const url = parseChannelUrl(`json://${hostPort()}/x`);
    http.status = 503;
    expect(await sendAlert(url, alert)).toMatchObject({ delivered: false, status: 503, retryable: true });
    http.status = 404;
    expect(await sendAlert(url, alert)).toMatchObject({ delivered: false, status: 404, retryable: false });
    http.status = 200;
    const dead = await startHttpReceiver();
    await dead.down();
    expect(await sendAlert(parseChannelUrl(`json://127.0.0.1:${dead.port}/x`), alert)).toMatchObject({ delivered: false, status: null, error: 'connection refused', retryable: true });
    const mail = parseChannelUrl(`mailto://127.0.0.1:${smtp.port}?to=a@example.com`);
    smtp.rejectWith = 451;
    expect(await sendAlert(mail, alert)).toMatchObject({ delivered: false, retryable: true });
    smtp.rejectWith = 550;
    expect(await sendAlert(mail, alert)).toMatchObject({ delivered: false, retryable: false });
    smtp.rejectWith = undefined;
  });

  it('shows channel URLs with every secret masked', () => {
    expect(redactChannelUrl('ntfy://bob:s3cret@ntfy.example.com/t')).toBe('ntfy://bob:****@ntfy.example.com/t');
    expect(redactChannelUrl('gotify://g.example.com/AppTok3n')).toBe('gotify://g.example.com/****');
    expect(redactChannelUrl('discord://12345/DiscTok')).toBe('discord://12345/****');
    expect(redactChannelUrl('slack://TA/TB/TC')).toBe('slack://TA/****/****');
    expect(redactChannelUrl('pagerduty://R0utingKey42')).toBe('pagerduty://R0ut****');
    expect(redactChannelUrl('mailto://u:pw@smtp.example.com:587?to=a@b.c')).toBe('mailto://u:****@smtp.example.com:587?to=a@b.c');
    expect(redactChannelUrl('json://h.example.com/x?secret=hm4c')).toBe('json://h.example.com/x?secret=****');
    expect(() => parseChannelUrl('irc://x')).toThrow(/unknown channel scheme/);
  });
});
