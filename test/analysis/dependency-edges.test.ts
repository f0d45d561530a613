import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../src/analysis/dependency-graph.js';
import { type OpenedDatabase, openDatabase } from '../../src/store/database.js';
import { DependencyEdgeStore } from '../../src/store/dependency-edges.js';
import { namesOf } from '../../src/store/graph-queries.js';
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
    let opened: OpenedDatabase;
    let edges: DependencyEdgeStore;

    beforeEach(async () => {
      target = await createTarget(dialect);
      opened = await openDatabase(target.databaseUrl, target.home);
      edges = new DependencyEdgeStore(opened.db);
    });
    afterEach(async () => {
      await opened.db.destroy();
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

    it('refuses an ambiguous name', async () => {
      const otherStack = { path: '/opt/stacks/other/compose.yaml', type: 'compose' as const, parsed: { services: { db: { image: 'x:1' } } } };
      await edges.replaceDerived('nas', buildDependencyGraph([...parsedFixture(), otherStack]));
      await expect(edges.addManual('nas', 'db', 'y')).rejects.toMatchObject({ code: 'CW_ERR_USAGE' });
      await expect(edges.addManual('nas', 'compose:other/db', 'y')).resolves.toMatchObject({ from: 'compose:other/db' });
    });
  });
}
