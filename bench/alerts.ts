/**
 * `alerts`: two scenarios on a real server (services as `serve` wires them,
 * SQLite, real receivers on loopback).
 * 1. Latency: a local realtime device (real inotifywait); each of `--edits`
 *    (default 30) files is edited once, and the time from the write to the
 *    JSON webhook receiving its alert is measured, as is the part after the
 *    change set closed (the correlator's 2 s quiet gap comes first).
 * 2. Throughput: `--rate` change sets per minute (default 1,000) for
 *    `--seconds` (default 60) published as capture publishes them, each with
 *    a stored, analysed version, routed by one rule to 5 channels (ntfy,
 *    Gotify, Slack, Discord, JSON webhook); counts what every receiver got
 *    (lost = expected − received), the publish → receipt percentiles at the
 *    JSON webhook and the peak RSS of the process.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../src/api/server.js';
import { readEnvironment } from '../src/config/environment.js';
import { initHome } from '../src/services/init.service.js';
import { openServices } from '../src/services/services.js';
import { type HttpReceiver, startHttpReceiver } from './helpers/receivers.js';
import { sleep, until } from './helpers/wait.js';

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] as number) * 10) / 10;
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: percentile(sorted, 100), n: sorted.length };
};

function option(args: readonly string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
}

async function openHome(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const environment = readEnvironment({ CONFWATCH_HOME: join(dir, 'home') });
  await initHome(environment);
  const services = await openServices(environment);
  return { dir, services, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function latency(edits: number): Promise<object> {
  const { dir, services, remove } = await openHome('cw-bench-alerts-');
  const hook = await startHttpReceiver();
  const root = join(dir, 'etc');
  mkdirSync(root, { recursive: true });
  for (let i = 0; i < edits; i++) writeFileSync(join(root, `f${i}.ini`), `value = 0\n`);
  const closedSets: number[] = [];
  let events = 0;
  services.bus.subscribe((event) => {
    events++;
    if (event.type === 'config.changeset') closedSets.push(performance.now());
  });
  const realtime = new Promise<void>((resolve) => services.bus.subscribe((e) => e.type === 'watch.mode' && e.mode === 'realtime' && resolve()));
  await services.alerts.addChannel('hook', `json://127.0.0.1:${hook.port}/hook`);
  await services.devices.add({ name: 'bench', local: true, mode: 'realtime', watch: [`${root}/*`] });
  const server = await startServer(services, { host: '127.0.0.1', port: 0 });
  const total: number[] = [];
  const afterClose: number[] = [];
  try {
    await realtime;
    await until(() => closedSets.length > 0, 'the baseline change set', 30_000);
    await sleep(500);
    for (let i = 0; i < edits; i++) {
      const before = hook.requests.length;
      const sets = closedSets.length;
      const written = performance.now();
      writeFileSync(join(root, `f${i}.ini`), `value = ${i + 1}\n`);
      await until(() => hook.requests.length > before, `alert ${i}`, 30_000, 2);
      const received = performance.now();
      total.push(received - written);
      const closed = closedSets[sets];
      if (closed !== undefined) afterClose.push(received - closed);
    }
  } finally {
    await server.close();
    await services.close();
    await hook.close();
    remove();
  }
  return { edits, writeToWebhookMs: stats(total), changeSetClosedToWebhookMs: stats(afterClose), busEvents: events };
}

async function throughput(perMinute: number, seconds: number): Promise<object> {
  const { services, remove } = await openHome('cw-bench-alerts-tp-');
  const kinds = ['ntfy', 'gotify', 'slack', 'discord', 'json'] as const;
  const receivers = await Promise.all(kinds.map(() => startHttpReceiver()));
  const urls = receivers.map((r, i) => {
    const hp = `127.0.0.1:${r.port}`;
    return [`ntfy://${hp}/t`, `gotify://${hp}/Tok`, `slack://A/B/C?base=${r.url}`, `discord://1/Tok?base=${r.url}`, `json://${hp}/hook`][i] as string;
  });
  for (const [i, kind] of kinds.entries()) await services.alerts.addChannel(kind, urls[i] as string);
  await services.alerts.addRule({ name: 'all', channels: [...kinds] });
  await services.store.addDevice(
    { name: 'tp', transport: 'local', host: 'localhost', port: 22, user: 'root', identityFile: null, hostKey: null, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] },
    [],
  );
  const running = services.alerts.start();
  const publishedAt = new Map<string, number>();
  const delays: number[] = [];
  // the JSON webhook carries the change set id: publish → receipt is measured there
  (receivers[4] as HttpReceiver).onRequest = (request) => {
    const at = publishedAt.get((JSON.parse(request.body) as { changeSetId: string }).changeSetId);
    if (at !== undefined) delays.push(performance.now() - at);
  };
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);
  const count = Math.round((perMinute * seconds) / 60);
  const interval = 60_000 / perMinute;
  const started = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const now = new Date().toISOString();
      const path = `/etc/app/f${i}.conf`;
      const [record] = await services.store.recordSnapshots([
        { device: 'tp', path, configType: 'generic', profile: 'custom', changeType: 'modified', source: 'poll', content: Buffer.from(`value = ${i}\n`), detectedAt: now },
      ]);
      if (!record) throw new Error('no snapshot stored');
      await services.store.annotateSnapshot(record.id, {
        impact: { riskLevel: 'MEDIUM', reasons: [{ rule: 'other-change', level: 'MEDIUM', detail: `${path} changed` }], affectedServices: [], downstreamServices: [] },
      });
      const changeSetId = `CS${i}`;
      publishedAt.set(changeSetId, performance.now());
      services.bus.publish('config.changed', 'tp', { path, snapshotId: record.id, contentHash: record.contentHash, changeType: 'modified', source: 'poll', changeSetId, detectedAt: now, storedAt: now });
      services.bus.publish('config.changeset', 'tp', { changeSetId, title: 'Config update (1 file)', count: 1, paths: [path] });
    }
    const publishSeconds = (performance.now() - started) / 1000;
    const expected = count * kinds.length;
    await until(() => receivers.reduce((n, r) => n + r.requests.length, 0) >= expected, 'every alert received', 120_000, 50).catch(() => undefined);
    const drainedSeconds = (performance.now() - started) / 1000;
    const received = receivers.reduce((n, r) => n + r.requests.length, 0);
    const log = await services.alerts.log(1);

    return {
      changeSets: count,
      channels: kinds.length,
      perMinute,
      publishSeconds: Math.round(publishSeconds * 10) / 10,
      allReceivedSeconds: Math.round(drainedSeconds * 10) / 10,
      expected,
      received,
      lost: expected - received,
      perChannel: Object.fromEntries(kinds.map((k, i) => [k, receivers[i]?.requests.length])),
      jsonWebhookPublishToReceivedMs: stats(delays),
      peakRssMB: Math.round(peakRss / 2 ** 20),
      lastStatus: log[0]?.status,
    };
  } finally {
    clearInterval(sampler);
    await running.stop();
    await services.close();
    for (const r of receivers) await r.close();
    remove();
  }
}

export async function run(args: string[]): Promise<object> {
  const edits = option(args, 'edits', 30);
  const perMinute = option(args, 'rate', 1_000);
  const seconds = option(args, 'seconds', 60);
  return {
    parameters: { edits, perMinute, seconds },
    latency: await latency(edits),
    throughput: await throughput(perMinute, seconds),
  };
}
