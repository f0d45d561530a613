/**
 * Renames in bulk under a realtime watch (a deploy tool moving a tree of
 * configs): the burst is stored by a directory scan, and every rename must
 * still be a move linked to its old path, not a delete plus a create. Over
 * the local transport and over a real sshd, through the whole pipeline —
 * Monitor, inotifywait, scanner, capture, SQLite.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { type RealtimeMonitor, startRealtimeMonitor, until as waitUntil } from '../helpers/monitor.js';
import { describeOverLocalAndSsh, type Endpoint } from '../helpers/store.js';

const DIRS = 3;
const FILES_PER_DIR = 100;
const FILES = DIRS * FILES_PER_DIR;
/** A deadline for the pipeline to finish, not a performance assertion. */
const SETTLE_TIMEOUT_MS = 120_000;

const until = (check: () => boolean, what: string) => waitUntil(check, what, SETTLE_TIMEOUT_MS, 50);

function burstMovesSuite(endpoint: () => Endpoint): void {
  let watched: RealtimeMonitor | undefined;
  let dir: string;
  let store: KyselyStore;
  let events: ConfwatchEvent[];
  const device = `moves${process.pid}`;

  /** Each file moves to the next directory under a new name. */
  const renames = () =>
    Array.from({ length: DIRS }, (_, d) =>
      Array.from({ length: FILES_PER_DIR }, (_, f) => ({
        from: join(dir, `stack${d}`, `svc${f}.conf`),
        to: join(dir, `stack${(d + 1) % DIRS}`, `moved-svc${f}.conf`),
        text: `service: svc-${d}-${f}\n`,
      })),
    ).flat();
  const changed = () => events.filter((e) => e.type === 'config.changed');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cw-moves-data-'));
    for (let d = 0; d < DIRS; d++) mkdirSync(join(dir, `stack${d}`));
    for (const { from, text } of renames()) writeFileSync(from, text);
    watched = await startRealtimeMonitor(device, endpoint(), `${dir}/**/*.conf`, SETTLE_TIMEOUT_MS);
    ({ store, events } = watched);
    await until(() => changed().length >= FILES, 'the initial scan to be stored');
  });

  afterEach(async () => {
    await watched?.close();
    watched = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'records every rename of a burst as a move linked to its old path',
    async () => {
      events.length = 0;
      for (const { from, to } of renames()) renameSync(from, to);
      const ofType = (type: string) => changed().filter((e) => e.changeType === type);
      // a lost link would show as `created`: wait for either, then require moves
      await until(() => ofType('moved').length + ofType('created').length >= FILES && ofType('deleted').length >= FILES, 'every rename to be stored');

      expect(ofType('created')).toEqual([]);
      expect(changed()).toHaveLength(2 * FILES);
      // the burst went through a directory scan (only renames seen before it was recognised are realtime reads)
      expect(ofType('moved').filter((e) => e.source === 'rescan').length).toBeGreaterThan(FILES / 2);
      for (const { from, to, text } of renames()) {
        const [moved, ...older] = (await store.history(device, to)).items;
        expect(moved).toMatchObject({ changeType: 'moved', movedFromPath: from });
        expect(older).toEqual([]);
        expect((await store.readContent(moved!)).toString('utf8')).toBe(text);
        expect((await store.latestSnapshot(device, from))?.changeType).toBe('deleted');
      }
    },
    SETTLE_TIMEOUT_MS * 2,
  );
}

describeOverLocalAndSsh('Bulk renames', burstMovesSuite);
