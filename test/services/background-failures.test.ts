/**
 * Background work has no caller to fail to: each failure must leave one
 * structured log line (without file contents) and one event. Every failure
 * here is injected through a dependency; the rest is real (SQLite store,
 * local transport, inotifywait).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { AuditRecorder } from '../../src/auth/audit-recorder.js';
import { AnalysisPool } from '../../src/compute/analysis-pool.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import type { Logger } from '../../src/logging.js';
import { AnalysisService } from '../../src/services/analysis.service.js';
import { followVersions } from '../../src/services/version-followers.js';
import { DeviceRegistry } from '../../src/devices/device-registry.js';
import { ValidationService } from '../../src/services/validation.service.js';
import { WritebackService } from '../../src/services/writeback.service.js';
import { DependencyEdgeStore } from '../../src/store/dependency-edges.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import type { SnapshotRecord } from '../../src/store/records.js';
import type { NewSnapshot } from '../../src/store/snapshot-store.js';
import { validateContent } from '../../src/validate/validator.js';
import { defaultMonitorParts, Monitor } from '../../src/watch/monitor.js';
import { commandExists, describeWith } from '../helpers/components.js';
import { recordEvents, until } from '../helpers/monitor.js';
import { customProfile, LOCAL_ENDPOINT, openTempStore, type TempStore } from '../helpers/store.js';

/** Content that must never reach a log line or an event. */
const SECRET = 'DB_PASSWORD=hunter2-in-the-file';

/** A logger whose JSON lines land in an array. */
function capturingLogger(): { log: Logger; lines: () => Record<string, unknown>[]; raw: () => string } {
  const chunks: string[] = [];
  const log = pino({ base: undefined }, { write: (chunk: string) => void chunks.push(chunk) });
  return { log, lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), raw: () => chunks.join('') };
}

/** `target` with some methods replaced; every other member is the real one. */
function overriding<T extends object>(target: T, replaced: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get(t, property, receiver) {
      if (property in replaced) return replaced[property as keyof T];
      const value = Reflect.get(t, property, receiver);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

const failing = (message: string) => async () => {
  throw new Error(message);
};

/** What capture publishes once a version is stored: the followers start from it. */
const announceOn =
  (bus: MemoryEventBus) =>
  (record: SnapshotRecord): void => {
    bus.publish('config.changed', record.device, {
      path: record.path,
      snapshotId: record.id,
      contentHash: record.contentHash,
      changeType: record.changeType,
      source: record.source,
      changeSetId: record.changeSetId,
      detectedAt: record.detectedAt,
      storedAt: record.storedAt,
    });
  };

describe('background failures', () => {
  let temp: TempStore;
  let store: KyselyStore;
  let bus: MemoryEventBus;
  let events: ConfwatchEvent[];
  const path = '/srv/app/app.env';

  const version = (content: string, extra: Partial<NewSnapshot> = {}): NewSnapshot => ({
    device: 'h',
    path,
    configType: 'generic',
    profile: 'custom',
    changeType: 'modified',
    source: 'realtime',
    content: Buffer.from(content),
    detectedAt: new Date().toISOString(),
    ...extra,
  });

  beforeEach(async () => {
    temp = await openTempStore('cw-failures-');
    store = temp.store;
    bus = new MemoryEventBus();
    events = recordEvents(bus);
  });
  afterEach(async () => {
    await temp.close();
  });

  it('reports a version that cannot be analysed, and a graph that cannot be rebuilt', async () => {
    await store.addDevice({ name: 'h', ...LOCAL_ENDPOINT, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] }, [customProfile('h', ['/srv/app/**'])]);
    const [record] = await store.recordSnapshots([version(`${SECRET}\n`, { changeType: 'initial', setBaseline: true })]);
    const capture = capturingLogger();
    const edges = overriding(new DependencyEdgeStore(store), { replaceDerived: failing('graph table is locked') });
    const pool = new AnalysisPool();
    const analysis = new AnalysisService(overriding(store, { annotateSnapshot: failing('database is read-only') }), edges, { pool, bus, log: capture.log });
    analysis.enqueue([record!]);
    await analysis.idle();
    await pool.close();

    const failed = events.filter((e) => e.type === 'analysis.failed');
    expect(failed).toEqual([
      expect.objectContaining({ device: 'h', path, snapshotId: record!.id, stage: 'analyze', code: 'CW_ERR_INTERNAL', error: 'database is read-only' }),
      expect.objectContaining({ device: 'h', path: null, snapshotId: null, stage: 'graph', error: 'graph table is locked' }),
    ]);
    expect(capture.lines()).toEqual([
      expect.objectContaining({ level: 40, event: 'analysis.failed', device: 'h', snapshotId: record!.id, stage: 'analyze', code: 'CW_ERR_INTERNAL' }),
      expect.objectContaining({ level: 40, event: 'analysis.failed', device: 'h', stage: 'graph' }),
    ]);
    expect(capture.raw()).not.toContain('hunter2');
  });

  it('reports a validation on capture that cannot run', async () => {
    await store.addDevice({ name: 'h', ...LOCAL_ENDPOINT, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] }, [
      customProfile('h', ['/srv/app/**'], { validateOnCapture: true }),
    ]);
    const [record] = await store.recordSnapshots([version(`${SECRET}\n`, { changeType: 'initial', setBaseline: true })]);
    const capture = capturingLogger();
    const devices = new DeviceRegistry({ store, openTransport: failing('host is unreachable') });
    const validation = new ValidationService(store, devices, bus, capture.log);
    await validation.enqueueCaptured([record!]);
    await validation.idle();

    expect(events.filter((e) => e.type === 'validation.failed')).toEqual([
      expect.objectContaining({ device: 'h', path, snapshotId: record!.id, tool: '', output: '', code: 'CW_ERR_INTERNAL', error: 'host is unreachable' }),
    ]);
    expect(capture.lines()).toEqual([expect.objectContaining({ level: 40, event: 'validation.failed', device: 'h', snapshotId: record!.id })]);
    expect(capture.raw()).not.toContain('hunter2');
  });

  it('reports an automatic reconcile that fails before its write-back starts', async () => {
    await store.addDevice({ name: 'h', ...LOCAL_ENDPOINT, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] }, [
      customProfile('h', ['/srv/app/**'], { autoReconcile: 'restore' }),
    ]);
    await store.recordSnapshots([version('baseline\n', { changeType: 'initial', setBaseline: true })]);
    const [drifted] = await store.recordSnapshots([version(`${SECRET}\n`)]);
    const capture = capturingLogger();
    const writeback = new WritebackService({ store, bus, devices: new DeviceRegistry({ store, openTransport: failing('host is unreachable') }), validate: validateContent });
    const follow = followVersions({
      store,
      analysis: { enqueue: () => undefined },
      validation: { enqueueCaptured: async () => undefined },
      reconciler: writeback.reconciler,
      audit: new AuditRecorder(store),
      bus,
      log: capture.log,
    });
    onTestFinished(() => follow.stop());
    announceOn(bus)(drifted!);

    const failed = await until(() => events.find((e) => e.type === 'reconcile.failed'), 'reconcile.failed', 10_000);
    expect(failed).toMatchObject({ device: 'h', path, snapshotId: drifted!.id, error: expect.stringContaining('host is unreachable') });
    expect(capture.lines()).toEqual([expect.objectContaining({ level: 40, event: 'reconcile.failed', device: 'h', snapshotId: drifted!.id })]);
    expect(capture.raw()).not.toContain('hunter2');
  });

  it('reports a reconcile whose profiles cannot be read', async () => {
    const [record] = await store.recordSnapshots([version('x\n', { changeType: 'initial', setBaseline: true })]);
    const capture = capturingLogger();
    const follow = followVersions({
      store: { getSnapshot: (id) => store.getSnapshot(id), listProfiles: failing('database is gone') },
      analysis: { enqueue: () => undefined },
      validation: { enqueueCaptured: async () => undefined },
      reconciler: { reconcileIfNeeded: async () => null },
      audit: { record: async () => undefined },
      bus,
      log: capture.log,
    });
    onTestFinished(() => follow.stop());
    announceOn(bus)(record!);
    const failed = await until(() => events.find((e) => e.type === 'reconcile.failed'), 'reconcile.failed', 10_000);
    expect(failed).toMatchObject({ device: 'h', path: null, snapshotId: null, error: 'database is gone' });
    expect(capture.lines()).toHaveLength(1);
  });
});

describeWith('inotifywait', commandExists('inotifywait'), 'a capture that fails in a running monitor', () => {
  let temp: TempStore;
  let root: string;
  let monitor: Monitor | undefined;

  beforeEach(async () => {
    temp = await openTempStore('cw-failures-monitor-');
    root = mkdtempSync(join(tmpdir(), 'cw-failures-host-'));
  });
  afterEach(async () => {
    await monitor?.stop();
    await temp.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('is logged once and published as capture.failed', async () => {
    const bus = new MemoryEventBus();
    const events = recordEvents(bus);
    const capture = capturingLogger();
    await temp.store.addDevice({ name: 'h', ...LOCAL_ENDPOINT, mode: 'realtime', pollIntervalSec: null, sudo: false, jump: null, tags: [] }, [
      customProfile('h', [`${root}/**`]),
    ]);
    const base = defaultMonitorParts();
    const refuse = failing('snapshot store refused the batch');
    // the start scan of the empty directory stores nothing and must pass
    const parts = { ...base, createCapture: () => ({ capture: async (requests: readonly unknown[]) => (requests.length === 0 ? [] : await refuse()) }) };
    monitor = new Monitor({ store: temp.store, bus, parts, log: capture.log });
    await monitor.start();
    await until(() => events.some((e) => e.type === 'watch.mode' && e.mode === 'realtime'), 'realtime mode', 15_000);
    writeFileSync(join(root, 'app.conf'), `${SECRET}\n`);

    const failed = await until(() => events.find((e) => e.type === 'capture.failed'), 'capture.failed', 15_000);
    expect(failed).toMatchObject({ device: 'h', code: 'CW_ERR_INTERNAL', error: 'snapshot store refused the batch' });
    expect(capture.lines().filter((l) => l.event === 'capture.failed')).toEqual([expect.objectContaining({ level: 40, device: 'h' })]);
    expect(capture.raw()).not.toContain('hunter2');
  });
});
