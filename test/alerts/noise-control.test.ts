/**
 * Noise control and routing with a controlled clock: digest windows (one
 * message per window, CRITICAL straight through), quiet hours (held, then
 * one summary that names a drift still unresolved), inhibition of a
 * disconnected device's per-file alerts and its own alert after the grace
 * period, dedup and flapping, and PagerDuty trigger/resolve under one
 * dedup_key. A real store (SQLite), a real outbox and a real receiver;
 * events are published on the bus as the pipeline publishes them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HttpReceiver, startHttpReceiver } from '../../bench/helpers/receivers.js';
import { AlertEngine } from '../../src/alerts/alert-engine.js';
import { AlertDispatcher } from '../../src/alerts/dispatcher.js';
import type { EventMap, EventType } from '../../src/events/event-map.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import { createLogger } from '../../src/logging.js';
import { AlertService } from '../../src/services/alert.service.js';
import { DiffService } from '../../src/services/diff.service.js';
import { AlertRepository } from '../../src/store/alerts.repository.js';
import { LOCAL_ENDPOINT, openTempStore, type TempStore, watching } from '../helpers/store.js';

const log = createLogger('alerts.test');
const DEVICE = 'box';

describe('alert noise control (controlled clock)', () => {
  let temp: TempStore;
  let receiver: HttpReceiver;
  let bus: MemoryEventBus;
  let repository: AlertRepository;
  let alerts: AlertService;
  let engine: AlertEngine;
  let dispatcher: AlertDispatcher;
  // local time, so quiet hours do not depend on the machine's zone
  let now: Date;
  let versions = 0;

  const at = (hours: number, minutes = 0, seconds = 0) => new Date(2026, 11, 2, hours, minutes, seconds);
  const advance = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  const bodies = () => receiver.requests.map((r) => JSON.parse(r.body));
  /** Publishes, lets the engine handle it and the dispatcher send what is due. */
  const publish = async <K extends EventType>(type: K, payload: EventMap[K], device = DEVICE) => {
    bus.publish(type, device, payload);
    await settle();
  };
  const settle = async () => {
    await engine.idle();
    await dispatcher.drain();
  };
  const tick = async () => {
    await engine.tick();
    await dispatcher.drain();
  };
  const drift = (path: string, status: 'drifted' | 'unreachable' = 'drifted'): EventMap['config.drift.detected'] => ({ path, status, baselineHash: 'a'.repeat(64), liveHash: 'b'.repeat(64) });

  /** A stored version of `path` with `risk`, then its change set, as capture and analysis leave them. */
  const changeSet = async (path: string, content: string, risk: 'MEDIUM' | 'CRITICAL') => {
    const [record] = await temp.store.recordSnapshots([
      { device: DEVICE, path, configType: 'generic', profile: 'custom', changeType: 'modified', source: 'realtime', content: Buffer.from(content), detectedAt: now.toISOString() },
    ]);
    if (!record) throw new Error('no snapshot');
    await temp.store.annotateSnapshot(record.id, {
      impact: { riskLevel: risk, reasons: [{ rule: 'other-change', level: risk, detail: `${path} changed` }], affectedServices: [], downstreamServices: [] },
    });
    const changeSetId = `CS${++versions}`;
    bus.publish('config.changed', DEVICE, {
      path,
      snapshotId: record.id,
      contentHash: record.contentHash,
      changeType: 'modified',
      source: 'realtime',
      changeSetId,
      detectedAt: now.toISOString(),
      storedAt: now.toISOString(),
    });
    await publish('config.changeset', { changeSetId, title: 'Config update (1 file)', count: 1, paths: [path] });
  };

  beforeEach(async () => {
    now = at(12);
    temp = await openTempStore('cw-alert-noise-');
    await temp.store.addDevice({ name: DEVICE, ...LOCAL_ENDPOINT, mode: 'realtime', pollIntervalSec: null, sudo: false, jump: null, tags: ['edge'] }, watching(DEVICE, '/etc/**'));
    receiver = await startHttpReceiver();
    bus = new MemoryEventBus();
    repository = new AlertRepository(temp.store);
    const clock = () => now;
    const analysis = { analysed: async () => undefined };
    alerts = new AlertService({ repository, store: temp.store, diffs: new DiffService(temp.store), analysis, bus, log });
    dispatcher = new AlertDispatcher({ repository, bus, log, clock }, { retryBaseMs: 10 });
    engine = new AlertEngine({ repository, store: temp.store, diffs: new DiffService(temp.store), analysis, dispatcher, log, clock }, { disconnectGraceMs: 60_000 });
    engine.start(bus);
    await alerts.addChannel('hook', `json://127.0.0.1:${receiver.port}/hook`);
  });

  afterEach(async () => {
    await engine.stop();
    await receiver.close();
    await temp.close();
  });

  it('digest: alerts below CRITICAL wait for the window and go as one message; CRITICAL goes at once', async () => {
    await alerts.addRule({ name: 'batched', channels: ['hook'], digestSec: 300 });
    await publish('config.drift.detected', drift('/etc/a.conf'));
    advance(60_000);
    await publish('config.drift.detected', drift('/etc/b.conf'));
    await publish('validation.failed', { path: '/etc/c.conf', snapshotId: null, tool: 'nginx -t', output: 'secret output' });
    await tick();
    expect(receiver.requests).toHaveLength(0);
    expect((await alerts.log(10)).map((d) => d.status)).toEqual(['held', 'held', 'held']);

    await changeSet('/etc/ssh/sshd_config', 'PermitRootLogin yes\n', 'CRITICAL');
    expect(bodies().map((b) => [b.event, b.riskLevel])).toEqual([['config.changeset', 'CRITICAL']]);

    advance(239_000);
    await tick();
    expect(receiver.requests).toHaveLength(1);
    advance(1_000);
    await tick();
    expect(receiver.requests).toHaveLength(2);
    const digest = bodies()[1];
    expect(digest).toMatchObject({ event: 'alert.summary', riskLevel: 'HIGH', title: 'Digest of 3 alerts (rule batched) — HIGH' });
    expect(digest.items.map((i: { title: string }) => i.title)).toEqual([
      'Drift on box: /etc/a.conf is drifted — HIGH',
      'Drift on box: /etc/b.conf is drifted — HIGH',
      'Validation failed on box: /etc/c.conf — HIGH',
    ]);
    // tool output may quote the file: it is never sent
    expect(receiver.requests.map((r) => r.body).join('')).not.toContain('secret output');
    const statuses = (await alerts.log(10)).map((d) => d.status).sort();
    expect(statuses).toEqual(['sent', 'sent', 'suppressed', 'suppressed', 'suppressed']);
  });

  it('quiet hours: held until the window ends, then one summary naming a drift still unresolved', async () => {
    await alerts.addRule({ name: 'night', channels: ['hook'], quiet: '22:00-07:00' });
    const [record] = await temp.store.recordSnapshots([
      { device: DEVICE, path: '/etc/a.conf', configType: 'generic', profile: 'custom', changeType: 'initial', source: 'poll', content: Buffer.from('x'), detectedAt: now.toISOString(), setBaseline: true },
    ]);
    expect(record).toBeDefined();
    await temp.store.updateTrackedFile(DEVICE, '/etc/a.conf', { syncStatus: 'drifted' });
    // the evening before
    now = new Date(at(23, 30).getTime() - 24 * 3600_000);
    await publish('config.drift.detected', drift('/etc/a.conf'));
    now = at(2);
    await publish('config.drift.detected', drift('/etc/b.conf'));
    await publish('config.drift.resolved', { path: '/etc/b.conf', resolution: 'restore', snapshotId: null });
    now = at(6, 59, 59);
    await tick();
    expect(receiver.requests).toHaveLength(0);
    now = at(7);
    await tick();
    expect(receiver.requests).toHaveLength(1);
    const [summary] = bodies();
    expect(summary).toMatchObject({ event: 'alert.summary', title: '3 alerts held during quiet hours (rule night) — HIGH', summary: '1 drift still unresolved' });
    expect(summary.items.filter((i: { unresolved?: boolean }) => i.unresolved).map((i: { title: string }) => i.title)).toEqual(['Drift on box: /etc/a.conf is drifted — HIGH']);
    // outside the window, straight through
    now = at(12);
    await publish('config.drift.detected', drift('/etc/c.conf'));
    expect(receiver.requests).toHaveLength(2);
  });

  it('inhibition: a disconnected device suppresses its per-file alerts and is alerted itself after the grace period', async () => {
    await alerts.addChannel('pd', `pagerduty://Key1?base=${receiver.url}`, 'HIGH');
    await publish('device.disconnected', { reason: 'connection reset' });
    await publish('device.disconnected', { reason: 'the device was removed' }, 'gone');
    await publish('config.drift.detected', drift('/etc/a.conf', 'unreachable'));
    await publish('config.drift.detected', drift('/etc/b.conf'));
    advance(59_000);
    await tick();
    expect(receiver.requests).toHaveLength(0);
    const suppressed = await alerts.log(10);
    expect(suppressed.map((d) => [d.status, d.error])).toEqual(Array(4).fill(['suppressed', 'inhibited: device unreachable']));

    advance(1_000);
    await tick();
    const down = bodies().filter((b) => b.event === 'device.disconnected');
    // a removed device is no longer in the store: its disconnect is not an outage
    expect(down.map((b) => b.device)).toEqual(['box']);
    expect(down.find((b) => b.title)?.title).toBe('box unreachable for 1 min — HIGH');
    const pd = receiver.requests.filter((r) => r.path === '/v2/enqueue').map((r) => JSON.parse(r.body));
    expect(pd).toEqual([expect.objectContaining({ event_action: 'trigger', dedup_key: 'box::disconnected' })]);

    await publish('device.connected', { target: 'localhost' });
    const resolved = receiver.requests.filter((r) => r.path === '/v2/enqueue').map((r) => JSON.parse(r.body));
    expect(resolved.at(-1)).toEqual({ routing_key: 'Key1', event_action: 'resolve', dedup_key: 'box::disconnected' });
  });

  it('pagerduty: a drift triggers and its resolution resolves the same incident', async () => {
    await alerts.addChannel('pd', `pagerduty://Key1?base=${receiver.url}`, 'HIGH');
    await publish('config.drift.detected', drift('/etc/a.conf'));
    // found again by the next periodic check: the same drift, not a new alert
    await publish('config.drift.detected', drift('/etc/a.conf'));
    await publish('config.drift.resolved', { path: '/etc/a.conf', resolution: 'accept', snapshotId: 'S1' });
    const pd = receiver.requests.filter((r) => r.path === '/v2/enqueue').map((r) => JSON.parse(r.body));
    expect(pd.map((b) => [b.event_action, b.dedup_key])).toEqual([
      ['trigger', 'box:/etc/a.conf:drift'],
      ['resolve', 'box:/etc/a.conf:drift'],
    ]);
  });

  it('compliance: a failing rule triggers and its clearing resolves the same incident, without the finding\'s message', async () => {
    await alerts.addChannel('pd', `pagerduty://Key1?base=${receiver.url}`, 'HIGH');
    const rule = { path: '/etc/ssh/sshd_config', rule: 'sshd.permit-root-login', severity: 'high' as const, title: 'Root login is disabled', snapshotId: 'S1' };
    await publish('compliance.failed', { ...rule, message: 'PermitRootLogin MARKER-yes', line: 3, waiverExpired: false });
    await publish('compliance.passed', { ...rule, snapshotId: 'S2' });
    const pd = receiver.requests.filter((r) => r.path === '/v2/enqueue');
    expect(pd.map((r) => JSON.parse(r.body)).map((b) => [b.event_action, b.dedup_key])).toEqual([
      ['trigger', 'box:/etc/ssh/sshd_config:sshd.permit-root-login'],
      ['resolve', 'box:/etc/ssh/sshd_config:sshd.permit-root-login'],
    ]);
    const hook = bodies().filter((b) => b.event === 'compliance.failed');
    expect(hook).toHaveLength(1);
    expect(hook[0]).toMatchObject({ riskLevel: 'HIGH', path: '/etc/ssh/sshd_config', summary: 'Root login is disabled' });
    for (const r of receiver.requests) expect(r.body).not.toContain('MARKER');
  });

  it('dedup and flapping: the same change again within the window is sent once; a file flapping becomes one alert', async () => {
    await alerts.addRule({ name: 'all', channels: ['hook'] });
    await changeSet('/etc/app.conf', 'mode = a\n', 'MEDIUM');
    advance(10_000);
    await changeSet('/etc/app.conf', 'mode = b\n', 'MEDIUM');
    advance(10_000);
    // back to a: the same content as the first alert, within the dedup window
    await changeSet('/etc/app.conf', 'mode = a\n', 'MEDIUM');
    expect(bodies().map((b) => b.title)).toEqual(['Config update (1 file) on box — MEDIUM', 'Config update (1 file) on box — MEDIUM']);
    advance(10_000);
    await changeSet('/etc/app.conf', 'mode = c\n', 'MEDIUM');
    advance(10_000);
    await changeSet('/etc/app.conf', 'mode = d\n', 'MEDIUM');
    advance(10_000);
    await changeSet('/etc/app.conf', 'mode = e\n', 'MEDIUM');
    expect(bodies().map((b) => b.title)).toEqual([
      'Config update (1 file) on box — MEDIUM',
      'Config update (1 file) on box — MEDIUM',
      'Config update (1 file) on box is flapping — MEDIUM',
    ]);
    const reasons = (await alerts.log(10)).filter((d) => d.status === 'suppressed').map((d) => d.error);
    expect(reasons.sort()).toEqual(['suppressed: flapping', 'suppressed: flapping', 'suppressed: the same change within the dedup window']);
  });

  it('routes by rule: device, tag, path glob, event type and minimum risk; without rules LOW goes nowhere', async () => {
    await changeSet('/etc/low.conf', 'x\n', 'MEDIUM');
    expect(receiver.requests).toHaveLength(1);
    await alerts.addRule({ name: 'edge-nginx', channels: ['hook'], tags: ['edge'], paths: ['/etc/nginx/**'], events: ['config.drift.detected'], minRisk: 'HIGH' });
    await publish('config.drift.detected', drift('/etc/other.conf'));
    await publish('config.drift.detected', drift('/etc/nginx/site.conf'), 'elsewhere');
    await changeSet('/etc/nginx/a.conf', 'y\n', 'MEDIUM');
    expect(receiver.requests).toHaveLength(1);
    await publish('config.drift.detected', drift('/etc/nginx/site.conf'));
    expect(bodies().at(-1)).toMatchObject({ event: 'config.drift.detected', path: '/etc/nginx/site.conf' });
    expect(receiver.requests).toHaveLength(2);
  });
});
