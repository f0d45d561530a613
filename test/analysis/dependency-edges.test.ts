import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../src/analysis/dependency-graph.js';
import { DependencyEdgeStore } from '../../src/store/dependency-edges.js';
import { namesOf } from '../../src/store/graph-queries.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { openStore } from '../../src/store/open-store.js';
import type { DialectName } from '../../src/store/tables.js';
import { createTarget, postgresUnavailable, type TargetInstance } from '../store/store-targets.js';
import { parsedFixture } from './deps-fixture.js';

const pgMissing = await postgresUnavailable();
if (pgMissing && process.env.CI === 'true') throw new Error(`${pgMissing}; required under CI=true`);
if (pgMissing) console.warn(`[dependency edges] skipping PostgreSQL: ${pgMissing}`);

const DIALECTS: DialectName[] = pgMissing ? ['sqlite'] : ['sqlite', 'postgres'];

for (const dialect of DIALECTS) {
  describe(`DependencyEdgeStore on ${dialect}`, () => {
    let target: TargetInstance;
    let store: KyselyStore;
    let edges: DependencyEdgeStore;

    beforeEach(async () => {
      target = await createTarget(dialect);
      store = await openStore({ home: target.home, databaseUrl: target.databaseUrl, env: {} });
      edges = new DependencyEdgeStore(store);
    });
    afterEach(async () => {
      await store.close();
      await target.dispose();
    });

    it('stores the derived graph and answers transitive downstream from it', async () => {
      await edges.replaceDerived('nas', buildDependencyGraph(parsedFixture()));
      const graph = await edges.load('nas');
      expect(namesOf(graph.downstream('db')).sort()).toEqual(['api.example.com', 'api_backend', 'app-web', 'app.example.com', 'web', 'worker']);
      expect(namesOf(graph.downstream('docker.service')).sort()).toEqual(['app-stack.service', 'backup.service']);
      expect((await edges.load('other')).edges).toEqual([]);
    });

    it('keeps manual edges across rebuilds and drops derived edges of files that are gone', async () => {
      await edges.replaceDerived('nas', buildDependencyGraph(parsedFixture()));
      await edges.addManual('nas', 'backup.service', 'db', 'reads');
      await edges.replaceDerived('nas', buildDependencyGraph(parsedFixture().filter((f) => f.type !== 'nginx')));
      const graph = await edges.load('nas');
      expect(namesOf(graph.downstream('db')).sort()).toEqual(['app-web', 'backup.service', 'web', 'worker']);
      expect(graph.edges.filter((e) => e.source === 'manual')).toEqual([
        { from: 'unit:backup.service', to: 'compose:app/db', kind: 'reads', source: 'manual', sourcePath: null },
      ]);
    });

    it('adds edges to unknown names as manual nodes and removes only manual edges', async () => {
      await edges.replaceDerived('nas', buildDependencyGraph(parsedFixture()));
      const added = await edges.addManual('nas', 'nas-backup', 'web');
      expect(added).toMatchObject({ from: 'service:nas-backup', to: 'compose:app/web' });
      expect(namesOf((await edges.load('nas')).downstream('web'))).toContain('nas-backup');
      expect(await edges.removeManual('nas', 'web', 'db')).toBe(0);
      expect(await edges.removeManual('nas', 'nas-backup', 'web')).toBe(1);
      const graph = await edges.load('nas');
      expect(graph.find('nas-backup')).toEqual([]);
      expect(namesOf(graph.downstream('db'))).toContain('web');
    });

    it('stores names only sealed, and keeps every concurrent manual edge', async () => {
      await edges.replaceDerived('nas', buildDependencyGraph(parsedFixture()));
      await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((name) => edges.addManual('nas', `job-${name}`, 'db')));
      const rows = await store.db.selectFrom('dependency_graphs').select(['device', 'source', 'graph']).orderBy('source').execute();
      expect(rows.map((r) => [r.device, r.source])).toEqual([
        ['nas', 'derived'],
        ['nas', 'manual'],
      ]);
      for (const row of rows) expect(row.graph).toMatch(/^cw1:[^:]+:[A-Za-z0-9+/=]+$/);
      expect(namesOf((await edges.load('nas')).downstream('db')).filter((n) => n.startsWith('job-')).sort()).toEqual(
        ['job-a', 'job-b', 'job-c', 'job-d', 'job-e', 'job-f'],
      );
    });

    it('refuses an ambiguous name', async () => {
      const otherStack = { path: '/opt/stacks/other/compose.yaml', type: 'compose' as const, parsed: { services: { db: { image: 'x:1' } } } };
      await edges.replaceDerived('nas', buildDependencyGraph([...parsedFixture(), otherStack]));
      await expect(edges.addManual('nas', 'db', 'y')).rejects.toMatchObject({ code: 'CW_ERR_USAGE' });
      await expect(edges.addManual('nas', 'compose:other/db', 'y')).resolves.toMatchObject({ from: 'compose:other/db' });
    });
  });
}
