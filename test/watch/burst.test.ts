/**
 * A burst (1,000 files rewritten at once, what a `git checkout` does) through
 * the whole realtime pipeline — Monitor, inotifywait, capture, SQLite — over
 * the local transport and over a real sshd: every file is stored with its
 * final content, in exactly one change set, by one reconcile scan of the
 * touched directories instead of a read per file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { type RealtimeMonitor, startRealtimeMonitor, until as waitUntil } from '../helpers/monitor.js';
import { describeOverLocalAndSsh, type Endpoint } from '../helpers/store.js';

const DIRS = 10;
const FILES_PER_DIR = 100;
const FILES = DIRS * FILES_PER_DIR;
/** A deadline for the pipeline to finish, not a performance assertion. */
const SETTLE_TIMEOUT_MS = 150_000;

const until = (check: () => boolean, what: string) => waitUntil(check, what, SETTLE_TIMEOUT_MS, 50);

const fileText = (d: number, f: number, branch: string) => `# branch ${branch}\nservice: svc-${d}-${f}\nimage: app:${branch}\n`;

/** The burst scenario against one device endpoint. */
function burstSuite(endpoint: () => Endpoint): void {
  let watched: RealtimeMonitor | undefined;
  let dir: string;
  let store: KyselyStore;
  let events: ConfwatchEvent[];
  const device = `burst${process.pid}`;

  const paths = () =>
    Array.from({ length: DIRS }, (_, d) => Array.from({ length: FILES_PER_DIR }, (_, f) => ({ d, f, path: join(dir, `stack${d}`, `svc${f}.conf`) }))).flat();
  const writeAll = (branch: string) => {
    for (const { d, f, path } of paths()) writeFileSync(path, fileText(d, f, branch));
  };
  const changed = () => events.filter((e) => e.type === 'config.changed');
  const changeSets = () => events.filter((e) => e.type === 'config.changeset');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-burst-data-'));
    for (let d = 0; d < DIRS; d++) mkdirSync(join(dir, `stack${d}`));
    writeAll('main');
    watched = await startRealtimeMonitor(device, endpoint(), `${dir}/**/*.conf`, SETTLE_TIMEOUT_MS);
    ({ store, events } = watched);
    await until(() => changed().length >= FILES && changeSets().length > 0, 'the initial scan to be stored');
  });

  afterEach(async () => {
    await watched?.close();
    watched = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'stores every rewritten file with its final content, in exactly one change set',
    async () => {
      events.length = 0;
      writeAll('feature');
      const modified = () => new Set(changed().filter((e) => e.changeType === 'modified').map((e) => e.path));
      await until(() => modified().size === FILES, 'every rewritten file to be stored');
      await until(() => changeSets().length > 0, 'the change set to close');

      const stored = changed();
      expect(stored).toHaveLength(FILES);
      expect(new Set(stored.map((e) => e.changeSetId)).size).toBe(1);
      expect(changeSets()).toEqual([expect.objectContaining({ changeSetId: stored[0]?.changeSetId, count: FILES })]);
      // stored by a scan of the touched directories, not read one by one (only files
      // captured before the burst was recognised come from realtime reads)
      expect(stored.filter((e) => e.source === 'rescan').length).toBeGreaterThan(FILES / 2);
      for (const { d, f, path } of [paths()[0], paths()[FILES - 1]].filter((p) => p !== undefined)) {
        const latest = await store.latestSnapshot(device, path);
        expect(latest && (await store.readContent(latest)).toString('utf8')).toBe(fileText(d, f, 'feature'));
      }
    },
    SETTLE_TIMEOUT_MS * 2,
  );
}

describeOverLocalAndSsh('A burst', burstSuite);
