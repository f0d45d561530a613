/**
 * `npm run bench -- api`: the API's two hot paths.
 * 1. History of one file with 10,000 versions: latency of the first page
 *    (`GET /api/devices/:device/files/history`, 50 versions) through the
 *    whole stack (auth, validation, store, serialisation). Target p50 ≤ 20 ms.
 * 2. SSE fan-out: 1,000 events/s for 5 s to 50 clients over real sockets;
 *    every client must receive every event (target: no loss).
 */
import { DeviceRegistry } from '../src/devices/device-registry.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/api/app.js';
import { AuditRecorder } from '../src/auth/audit-recorder.js';
import { MemoryEventBus } from '../src/events/memory.bus.js';
import { createAuthService } from '../src/services/auth.service.js';
import { DeviceService } from '../src/services/device.service.js';
import type { KyselyStore } from '../src/store/kysely.store.js';
import { createMasterKeyFile } from '../src/store/keyring.js';
import type { NewSnapshot } from '../src/store/snapshot-store.js';
import { openStore } from '../src/store/open-store.js';

const VERSIONS = 10_000;
const HISTORY_SAMPLES = 200;
const CLIENTS = 50;
const EVENTS_PER_SECOND = 1_000;
const SECONDS = 5;
const PATH = '/etc/nginx/conf.d/site.conf';

export async function run(): Promise<object> {
  const home = mkdtempSync(join(tmpdir(), 'cw-bench-api-'));
  createMasterKeyFile(home);
  const store = await openStore({ home, env: {} });
  const bus = new MemoryEventBus({ replaySize: EVENTS_PER_SECOND * SECONDS * 2 });
  const auth = createAuthService(store.db, store);
  await auth.addUser('bench', 'viewer');
  const { token } = await auth.createToken('bench');
  const app = await buildApp({ store, bus, devices: new DeviceService(store, new DeviceRegistry({ store })), auth, audit: new AuditRecorder(store) });
  try {
    const ingestStarted = performance.now();
    await seedHistory(store);
    const ingestMs = performance.now() - ingestStarted;

    const headers = { authorization: `Bearer ${token}` };
    const url = `/api/devices/bench/files/history?path=${encodeURIComponent(PATH)}&limit=50`;
    const timings: number[] = [];
    for (let i = 0; i < HISTORY_SAMPLES + 10; i++) {
      const started = performance.now();
      const res = await app.inject({ url, headers });
      if (res.statusCode !== 200) throw new Error(`history answered ${res.statusCode}: ${res.body}`);
      if (i >= 10) timings.push(performance.now() - started); // the first requests warm caches and JIT
    }

    await app.listen({ host: '127.0.0.1', port: 0 });
    const fanOut = await measureFanOut((app.server.address() as AddressInfo).port, token, bus);
    return {
      parameters: { versions: VERSIONS, pageSize: 50, historySamples: HISTORY_SAMPLES, clients: CLIENTS, eventsPerSecond: EVENTS_PER_SECOND, seconds: SECONDS },
      history: { ingestMs: round(ingestMs), firstPageP50Ms: round(percentile(timings, 0.5)), firstPageP95Ms: round(percentile(timings, 0.95)), targetP50Ms: 20 },
      sse: fanOut,
    };
  } finally {
    await app.close();
    await store.close();
    rmSync(home, { recursive: true, force: true });
  }
}

async function seedHistory(store: KyselyStore): Promise<void> {
  await store.addDevice(
    { name: 'bench', transport: 'local', host: 'localhost', port: 22, user: 'root', identityFile: null, hostKey: null, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] },
    [],
  );
  const base = Array.from({ length: 200 }, (_, i) => `    location /app${i} { proxy_pass http://backend${i % 7}; }`);
  const batch: NewSnapshot[] = [];
  for (let v = 0; v < VERSIONS; v++) {
    base[v % base.length] = `    location /app${v % base.length} { proxy_pass http://backend${v}; }`;
    batch.push({
      device: 'bench',
      path: PATH,
      configType: 'nginx',
      profile: 'nginx',
      changeType: v === 0 ? 'initial' : 'modified',
      source: 'poll',
      content: Buffer.from(`server {\n${base.join('\n')}\n}\n`),
      detectedAt: new Date(Date.UTC(2026, 0, 1) + v * 1000).toISOString(),
    });
    if (batch.length === 500) await store.recordSnapshots(batch.splice(0));
  }
  if (batch.length > 0) await store.recordSnapshots(batch);
}

interface FanOutResult {
  readonly published: number;
  /** The publishing rate actually reached (timers may run late under load). */
  readonly achievedEventsPerSecond: number;
  readonly clients: number;
  readonly clientsWithAllEvents: number;
  readonly lostEvents: number;
  readonly droppedClients: number;
  readonly deliveryP50Ms: number;
  readonly deliveryP99Ms: number;
}

async function measureFanOut(port: number, token: string, bus: MemoryEventBus): Promise<FanOutResult> {
  const received = new Array<number>(CLIENTS).fill(0);
  const latencies: number[] = [];
  let dropped = 0;
  const sockets = await Promise.all(
    Array.from({ length: CLIENTS }, (_, client) =>
      new Promise<() => void>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/api/events', headers: { authorization: `Bearer ${token}` } }, (res) => {
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let end = buffer.indexOf('\n\n');
            while (end >= 0) {
              const frame = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const data = /^data: (.*)$/m.exec(frame)?.[1];
              if (data) {
                received[client] = (received[client] ?? 0) + 1;
                latencies.push(Date.now() - Date.parse((JSON.parse(data) as { at: string }).at));
              }
              end = buffer.indexOf('\n\n');
            }
          });
          res.on('close', () => dropped++);
          resolve(() => req.destroy());
        });
        req.on('error', reject);
        req.end();
      }),
    ),
  );
  await new Promise((r) => setTimeout(r, 200)); // all clients subscribed

  const total = EVENTS_PER_SECOND * SECONDS;
  const perTick = EVENTS_PER_SECOND / 100;
  let published = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (let i = 0; i < perTick && published < total; i++, published++) {
        bus.publish('config.changed', 'bench', {
          path: PATH,
          snapshotId: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
          contentHash: null,
          changeType: 'modified',
          source: 'poll',
          changeSetId: null,
          detectedAt: new Date().toISOString(),
          storedAt: new Date().toISOString(),
        });
      }
      if (published >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  const publishSeconds = (performance.now() - started) / 1000;
  const deadline = Date.now() + 10_000;
  while (received.some((n) => n < total) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const droppedBeforeClose = dropped;
  for (const close of sockets) close();
  return {
    published,
    achievedEventsPerSecond: Math.round(published / publishSeconds),
    clients: CLIENTS,
    clientsWithAllEvents: received.filter((n) => n === total).length,
    lostEvents: received.reduce((sum, n) => sum + (total - n), 0),
    droppedClients: droppedBeforeClose,
    deliveryP50Ms: percentile(latencies, 0.5),
    deliveryP99Ms: percentile(latencies, 0.99),
  };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

const round = (n: number): number => Math.round(n * 100) / 100;
