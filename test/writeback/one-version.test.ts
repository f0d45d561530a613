/**
 * What confwatch writes itself goes through the same pipeline as a captured
 * change, once: a restore, an apply and a drift resolve each leave exactly
 * one new version of the file (with its source and actor, no `realtime`
 * copy from the watcher), and that version is analysed like any other —
 * impact stored, dependency graph rebuilt from it. A running monitor
 * (real inotifywait, local transport), real services over SQLite.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnvironment } from '../../src/config/environment.js';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { initHome } from '../../src/services/init.service.js';
import { openServices, type Services } from '../../src/services/services.js';
import type { SnapshotRecord } from '../../src/store/records.js';
import type { Monitor } from '../../src/watch/monitor.js';
import { parseChangesFile } from '../../src/writeback/changes-file.js';
import { tempHome } from '../helpers/cli.js';
import { commandExists, describeWith } from '../helpers/components.js';
import { recordEvents, sleep, until } from '../helpers/monitor.js';
import { customProfile, LOCAL_ENDPOINT } from '../helpers/store.js';

const SETTLED_MS = 30_000;
/** Long enough for the watcher to see a write-back's rename and capture it, were it going to. */
const WATCHER_MS = 1_500;

const compose = (services: string[]): string => `services:\n${services.map((s) => `  ${s}:\n    image: nginx:1.27\n`).join('')}`;

describeWith('inotifywait', commandExists('inotifywait'), 'versions confwatch writes itself', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'stack');
  const file = join(root, 'compose.yaml');
  const device = 'host';
  let services: Services;
  let monitor: Monitor;
  let events: ConfwatchEvent[];

  const history = async (): Promise<SnapshotRecord[]> => (await services.store.history(device, file, { limit: 50 })).items;
  const analysed = (id: string) =>
    until(async () => ((await services.store.getSnapshot(id))?.impact ? true : undefined), `analysis of ${id}`, SETTLED_MS, 100);
  const graphNames = async (): Promise<string[]> => (await services.dependencies.load(device)).nodes.map((n) => n.name);
  /** Writes the file by hand and waits for the watcher's version of it. */
  const editByHand = async (text: string): Promise<string> => {
    const mark = services.bus.lastId;
    writeFileSync(file, text);
    return until(
      () => events.flatMap((e) => (e.id > mark && e.type === 'config.changed' && e.source === 'realtime' ? [e.snapshotId] : []))[0],
      'the hand edit captured',
      SETTLED_MS,
    );
  };
  /** The versions stored after `before`, once the watcher had its chance to add one. */
  const newVersions = async (before: readonly SnapshotRecord[]): Promise<SnapshotRecord[]> => {
    await sleep(WATCHER_MS);
    const known = new Set(before.map((v) => v.id));
    return (await history()).filter((v) => !known.has(v.id));
  };

  beforeAll(async () => {
    mkdirSync(root, { recursive: true });
    writeFileSync(file, compose(['web']));
    const environment = readEnvironment({ CONFWATCH_HOME: t.home });
    await initHome(environment);
    services = await openServices(environment);
    events = recordEvents(services.bus);
    await services.store.addDevice({ name: device, ...LOCAL_ENDPOINT, mode: 'realtime', pollIntervalSec: null, sudo: false, jump: null, tags: [] }, [
      customProfile(device, [`${root}/**`]),
    ]);
    monitor = services.monitoring.monitor([device]);
    await monitor.start();
    await until(() => events.some((e) => e.type === 'watch.mode' && e.mode === 'realtime'), 'realtime', SETTLED_MS);
    await until(async () => ((await history()).length > 0 ? true : undefined), 'the first version', SETTLED_MS);
  }, 60_000);

  afterAll(async () => {
    await monitor?.stop();
    await services?.close();
    t.remove();
  });

  describe('each write-back leaves one analysed version', () => {
    it('restore', async () => {
      const [first] = await history();
      await editByHand(compose(['web', 'db']));
      const before = await history();
      await services.writeback.restore({ snapshotId: first!.id, actor: 'alice', validate: false });
      const added = await newVersions(before);
      expect(added).toEqual([expect.objectContaining({ source: 'restore', actor: 'alice', contentHash: first!.contentHash })]);
      await analysed(added[0]!.id);
      await until(async () => ((await graphNames()).includes('web') && !(await graphNames()).includes('db') ? true : undefined), 'the graph rebuilt from the restored version', SETTLED_MS, 100);
    });

    it('apply', async () => {
      const before = await history();
      const changes = parseChangesFile(`validate: false\nchanges:\n  - device: ${device}\n    path: ${file}\n    content: ${JSON.stringify(compose(['web', 'cache']))}\n`, 'changes.yaml', () => Buffer.alloc(0));
      await services.writeback.apply(changes, { actor: 'bob' });
      const added = await newVersions(before);
      expect(added).toEqual([expect.objectContaining({ source: 'batch', actor: 'bob' })]);
      await analysed(added[0]!.id);
      await until(async () => ((await graphNames()).includes('cache') ? true : undefined), 'the graph rebuilt from the applied version', SETTLED_MS, 100);
    });

    it('drift resolve', async () => {
      const baseline = (await history())[0]!;
      await editByHand(compose(['web', 'cache', 'queue']));
      const before = await history();
      await services.writeback.resolveDrift({ device, path: file, resolution: 'restore', actor: 'carol', validate: false });
      const added = await newVersions(before);
      expect(added).toEqual([expect.objectContaining({ source: 'restore', actor: 'carol', contentHash: baseline.contentHash })]);
      await analysed(added[0]!.id);
    });
  });
});
