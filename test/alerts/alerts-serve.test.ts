/**
 * Alerts from a running server, end to end: a local device watched with real
 * inotifywait, changes captured, correlated and analysed, and the alerts
 * received by real HTTP receivers and a real SMTP server, one per channel
 * kind, under the default policy. CRITICAL reaches every channel, LOW none,
 * 50 files changed at once are one alert per channel, a receiver that is
 * down gets the alert once it is back, and a secret in a changed file
 * reaches no receiver.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HttpReceiver, type SmtpReceiver, startHttpReceiver, startSmtpReceiver } from '../../bench/helpers/receivers.js';
import { type RunningServer, startServer } from '../../src/api/server.js';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import type { Services } from '../../src/services/services.js';
import { openInitialisedServices, tempHome } from '../helpers/cli.js';
import { commandExists, describeWith } from '../helpers/components.js';
import { recordEvents, until } from '../helpers/monitor.js';

const MARKER = 'QZX9ALERTMARKER77';
const KINDS = ['ntfy', 'gotify', 'discord', 'slack', 'pagerduty', 'json'] as const;
type Kind = (typeof KINDS)[number];
/** Channels the default policy sends MEDIUM alerts to (email too). */
const MEDIUM_KINDS: readonly Kind[] = ['ntfy', 'gotify', 'json'];

describeWith('inotifywait', commandExists('inotifywait'), 'alerts from serve (default policy, real receivers)', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'etc');
  const sshdConfig = join(root, 'ssh', 'sshd_config');
  const envFile = join(root, 'app', 'app.env');
  const generic = (i: number) => join(root, 'gen', `${String(i).padStart(2, '0')}.ini`);
  const receivers = {} as Record<Kind, HttpReceiver>;
  let smtp: SmtpReceiver;
  let services: Services;
  let server: RunningServer;
  let events: ConfwatchEvent[];

  const urlOf = (kind: Kind, r: HttpReceiver): string => {
    const hp = `127.0.0.1:${r.port}`;
    switch (kind) {
      case 'ntfy':
        return `ntfy://${hp}/ops`;
      case 'gotify':
        return `gotify://${hp}/GotTok`;
      case 'discord':
        return `discord://42/DiscTok?base=${r.url}`;
      case 'slack':
        return `slack://TA/TB/TC?base=${r.url}`;
      case 'pagerduty':
        return `pagerduty://RoutingKey1?base=${r.url}`;
      case 'json':
        return `json://${hp}/hook?secret=sig`;
    }
  };
  const counts = () => ({ ...Object.fromEntries(KINDS.map((k) => [k, receivers[k].requests.length])), email: smtp.mails.length }) as Record<Kind | 'email', number>;
  const changeSetClosed = (after: number) =>
    until(() => events.find((e) => e.type === 'config.changeset' && e.id > after), 'the change set to close', 20_000);
  const lastEventId = () => events.at(-1)?.id ?? 0;

  beforeAll(async () => {
    for (const dir of ['ssh', 'app', 'gen']) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(sshdConfig, 'PermitRootLogin no\nPasswordAuthentication no\n');
    writeFileSync(envFile, 'PORT=8080\nAPI_TOKEN=first-value\n');
    for (let i = 0; i < 50; i++) writeFileSync(generic(i), `name = file${i}\nvalue = 1\n`);
    for (const kind of KINDS) receivers[kind] = await startHttpReceiver();
    smtp = await startSmtpReceiver();
    services = await openInitialisedServices(t.home);
    events = recordEvents(services.bus);
    for (const kind of KINDS) await services.alerts.addChannel(kind, urlOf(kind, receivers[kind]));
    await services.alerts.addChannel('email', `mailto://127.0.0.1:${smtp.port}?to=oncall@example.com&from=cw@example.com`);
    await services.devices.add({ name: 'box', local: true, mode: 'realtime', watch: [`${root}/**`] });
    server = await startServer(services, {
      host: '127.0.0.1',
      port: 0,
      publicUrl: 'https://cw.example.com',
      alerts: { dispatcher: { retryBaseMs: 300, retryCapMs: 1_000 } },
    });
    await until(() => events.some((e) => e.type === 'watch.mode' && e.mode === 'realtime'), 'realtime mode', 30_000);
    // the first versions (the baseline) are one change set, which raises no alert
    await changeSetClosed(0);
    expect(counts()).toEqual({ ntfy: 0, gotify: 0, discord: 0, slack: 0, pagerduty: 0, json: 0, email: 0 });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await services?.close();
    for (const kind of KINDS) await receivers[kind]?.close();
    await smtp?.close();
    t.remove();
  });

  it('sends a CRITICAL change set to every channel of the default policy, once each, with no secret in any body', async () => {
    writeFileSync(sshdConfig, 'PermitRootLogin yes\nPasswordAuthentication no\n');
    writeFileSync(envFile, `PORT=8080\nAPI_TOKEN=${MARKER}\n`);
    const sent = async (event: string) => (await services.alerts.log(50)).filter((d) => d.event === event && d.status === 'sent');
    await until(async () => (await sent('config.changeset')).length === 7, 'seven change-set deliveries marked sent', 30_000);
    // the same write fails sshd.permit-root-login: that finding is an alert of its own (HIGH), sent before the next test counts
    await until(async () => {
      const log = await services.alerts.log(50);
      const findings = log.filter((d) => d.event === 'compliance.failed');
      return findings.length > 0 && findings.every((d) => d.status === 'sent');
    }, 'the compliance alerts to be sent', 30_000);
    const changeSet = await sent('config.changeset');
    expect(new Set(changeSet.map((d) => d.channel)).size).toBe(7);
    expect(Object.values(counts()).every((n) => n >= 1)).toBe(true);

    const alert = receivers.json.requests.map((r) => JSON.parse(r.body)).find((b) => b.event === 'config.changeset') ?? {};
    expect(alert).toMatchObject({ event: 'config.changeset', device: 'box', riskLevel: 'CRITICAL' });
    // a burst of writes is read by a directory scan
    expect(['realtime', 'rescan']).toContain(alert.source);
    expect(alert.paths.sort()).toEqual([envFile, sshdConfig].sort());
    expect(alert.title).toMatch(/on box — CRITICAL$/);
    expect(alert.summary).toContain('PermitRootLogin set to yes');
    expect(alert.diff).toContain('+PermitRootLogin yes');
    expect(alert.diff).toContain('API_TOKEN=«redacted»');
    expect(alert.link).toMatch(/^https:\/\/cw\.example\.com\/devices\/box\/file\?path=/);
    expect(alert.changeSetId).toMatch(/^[0-9A-Z]{26}$/);
    expect(JSON.parse(receivers.pagerduty.requests[0]?.body ?? '{}')).toMatchObject({ event_action: 'trigger', payload: { severity: 'critical', source: 'box' } });

    const mail = (smtp.mails.map((m) => m.raw.replace(/=\r?\n/g, '')).find((m) => m.includes('CRITICAL')) ?? '');
    expect(mail).toContain('PermitRootLogin yes');
    for (const kind of KINDS) for (const r of receivers[kind].requests) expect(r.body, kind).not.toContain(MARKER);
    expect(mail).not.toContain(MARKER);
  });

  it('sends nothing for a LOW change, and one alert per channel for 50 files changed at once', async () => {
    const before = counts();
    const logBefore = (await services.alerts.log(1000)).length;
    let mark = lastEventId();
    writeFileSync(sshdConfig, 'PermitRootLogin yes\nPasswordAuthentication no\n# reviewed\n');
    await changeSetClosed(mark);
    mark = lastEventId();
    for (let i = 0; i < 50; i++) writeFileSync(generic(i), `name = file${i}\nvalue = 2\n`);
    await until(() => MEDIUM_KINDS.every((k) => receivers[k].requests.length > before[k]) && smtp.mails.length > before.email, 'the MEDIUM alert', 30_000);
    await changeSetClosed(mark);
    // the engine handles events in order: the LOW set was handled before the 50-file one
    const log = await services.alerts.log(1000);
    expect(log.length - logBefore).toBe(4);
    const after = counts();
    expect(after).toEqual({ ...before, ntfy: before.ntfy + 1, gotify: before.gotify + 1, json: before.json + 1, email: before.email + 1 });
    const alert = JSON.parse(receivers.json.requests.at(-1)?.body ?? '{}');
    expect(alert.riskLevel).toBe('MEDIUM');
    expect(alert.paths).toHaveLength(50);
    expect(alert.title).toContain('50 files');
  });

  it('delivers to a receiver that was down once it is back, with the attempts recorded', async () => {
    await receivers.json.down();
    const before = receivers.json.requests.length;
    writeFileSync(generic(7), 'name = file7\nvalue = 3\n');
    const queued = await until(
      async () => (await services.alerts.log(50)).find((d) => d.channel === 'json' && d.status === 'queued' && d.attempts >= 1),
      'a failed attempt to the json receiver',
      30_000,
    );
    expect(queued.error).toBe('connection refused');
    await receivers.json.up();
    await until(() => receivers.json.requests.length > before, 'the retried delivery', 15_000);
    const sent = await until(async () => (await services.alerts.log(50)).find((d) => d.id === queued.id && d.status === 'sent'), 'the delivery marked sent', 10_000);
    expect(sent.attempts).toBeGreaterThanOrEqual(2);
    expect(receivers.json.requests.length).toBe(before + 1);
    expect(events.some((e) => e.type === 'alert.delivered' && e.deliveryId === queued.id && e.attempts === sent.attempts)).toBe(true);
  });
});
