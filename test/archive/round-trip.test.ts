/**
 * Export with history from SQLite, import --history-only into PostgreSQL:
 * every version keeps its id, bytes, hash, timestamp, actor, change set and
 * baseline; diffs read the same; a second import changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AnalysisPool } from '../../src/compute/analysis-pool.js';
import { DiffService } from '../../src/services/diff.service.js';
import { ArchiveRepository } from '../../src/store/archive.repository.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { openStore } from '../../src/store/open-store.js';
import type { SnapshotRecord } from '../../src/store/records.js';
import { describeUnless } from '../helpers/components.js';
import { openTempStore, type TempStore } from '../helpers/store.js';
import { createTarget, postgresUnavailable, type TargetInstance } from '../store/store-targets.js';
import { archiveService, seedHistory } from './archive-fixture.js';

const pgMissing = await postgresUnavailable();

async function allVersions(store: KyselyStore): Promise<SnapshotRecord[]> {
  const out: SnapshotRecord[] = [];
  for await (const page of new ArchiveRepository(store).versions(null)) out.push(...page);
  return out;
}

describeUnless(pgMissing ?? null, 'history round trip, SQLite to PostgreSQL', () => {
  let source: TempStore;
  let target: TargetInstance;
  let targetStore: KyselyStore;
  let dir: string;
  let pool: AnalysisPool;

  beforeAll(async () => {
    source = await openTempStore('cw-export-');
    await seedHistory(source.store);
    target = await createTarget('postgres');
    targetStore = await openStore({ home: target.home, databaseUrl: target.databaseUrl });
    dir = mkdtempSync(join(tmpdir(), 'cw-archive-'));
    pool = new AnalysisPool();
  });
  afterAll(async () => {
    await pool?.close();
    await targetStore?.close();
    await target?.dispose();
    await source?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every version, its bytes and its diff; a re-run is a no-op', async () => {
    const file = join(dir, 'history.tar.gz');
    const exported = await archiveService(source.store).export(createWriteStream(file), { history: true });
    const before = await allVersions(source.store);
    expect(exported.versions).toBe(before.length);

    const first = await archiveService(targetStore).import(file, { mode: 'history-only', actor: 'test' });
    expect(first.history).toMatchObject({ versions: before.length, alreadyPresent: 0, changeSets: 1, devicesCreated: ['db', 'web'] });

    const after = await allVersions(targetStore);
    expect(after.map((v) => v.id)).toEqual(before.map((v) => v.id));
    for (const [i, v] of before.entries()) {
      const w = after[i]!;
      expect({ ...pick(w) }).toEqual({ ...pick(v) });
      if (v.hasContent) expect((await targetStore.readContent(w)).equals(await source.store.readContent(v))).toBe(true);
    }
    // device without secrets: no key path, no passphrase
    const web = await targetStore.getDevice('web');
    expect(web).toMatchObject({ host: 'web.example', identityFile: null, hasPassphrase: false, tags: ['prod'] });
    // baselines and latest per file
    for (const tracked of await source.store.listTrackedFiles()) {
      const there = await targetStore.getTrackedFile(tracked.device, tracked.path);
      expect(there).toMatchObject({ latestSnapshotId: tracked.latestSnapshotId, baselineSnapshotId: tracked.baselineSnapshotId, contentHash: tracked.contentHash, deleted: tracked.deleted });
    }
    const set = before.find((v) => v.changeSetId)!.changeSetId!;
    expect(await targetStore.getChangeSet(set)).toEqual(await source.store.getChangeSet(set));

    const modified = before.filter((v) => v.previousId && v.hasContent);
    expect(modified.length).toBeGreaterThan(1);
    for (const v of modified) {
      const a = await new DiffService(source.store, pool).diff(v.previousId!, v.id);
      const b = await new DiffService(targetStore, pool).diff(v.previousId!, v.id);
      expect(b).toEqual(a);
    }

    const again = await archiveService(targetStore).import(file, { mode: 'history-only', actor: 'test' });
    expect(again.history).toMatchObject({ versions: 0, alreadyPresent: before.length, changeSets: 0, devicesCreated: [] });
    expect((await allVersions(targetStore)).length).toBe(before.length);
  });
});

const pick = (v: SnapshotRecord) => ({
  id: v.id,
  device: v.device,
  path: v.path,
  contentHash: v.contentHash,
  hasContent: v.hasContent,
  size: v.size,
  mode: v.mode,
  uid: v.uid,
  gid: v.gid,
  changeType: v.changeType,
  source: v.source,
  previousId: v.previousId,
  changeSetId: v.changeSetId,
  actor: v.actor,
  detectedAt: v.detectedAt,
});
