/**
 * After a parser version bump, `reanalyze` parses again exactly the stored
 * versions an older parser (or an unrecorded one) parsed, records the new
 * version and rebuilds the device's graph; current ones are left alone.
 * Real store on SQLite and PostgreSQL, local device, the real analysis pool;
 * the bump is injected (`parserVersions`), not made by editing a constant.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AnalysisPool } from '../../src/compute/analysis-pool.js';
import { ENV_PARSER_VERSION } from '../../src/parsers/env/env.parser.js';
import { NGINX_PARSER_VERSION } from '../../src/parsers/nginx/nginx.parser.js';
import { AnalysisService } from '../../src/services/analysis.service.js';
import { initHome } from '../../src/services/init.service.js';
import { openServices, type Services } from '../../src/services/services.js';
import type { SnapshotRecord } from '../../src/store/records.js';
import { describeUnless } from '../helpers/components.js';
import { createTarget, postgresUnavailable, type TargetInstance } from './../store/store-targets.js';

const pgMissing = await postgresUnavailable();

const site = (port: number) =>
  `upstream backend {\n  server app:${port};\n}\nserver {\n  listen 127.0.0.1:18291;\n  location / {\n    proxy_pass http://backend;\n  }\n}\n`;

for (const dialect of ['sqlite', 'postgres'] as const) {
  describeUnless(dialect === 'postgres' ? (pgMissing ?? null) : null, `reanalyze after a parser version bump (${dialect})`, () => {
    let target: TargetInstance;
    let services: Services;
    let root: string;
    let pool: AnalysisPool;

    beforeEach(async () => {
      target = await createTarget(dialect);
      root = join(target.home, 'nginx');
      mkdirSync(join(root, 'conf.d'), { recursive: true });
      mkdirSync(join(root, 'app'), { recursive: true });
      writeFileSync(join(root, 'conf.d', 'site.conf'), site(8080));
      writeFileSync(join(root, 'app', '.env'), 'DB_HOST=db\n');
      writeFileSync(join(root, 'app', 'compose.yaml'), 'services:\n  app:\n    image: nginx:1\n');
      const env = { CONFWATCH_HOME: target.home, ...(target.databaseUrl ? { CONFWATCH_DATABASE_URL: target.databaseUrl } : {}) };
      const environment = { home: target.home, databaseUrl: target.databaseUrl, env };
      await initHome(environment);
      services = await openServices(environment);
      pool = new AnalysisPool();
    });

    afterEach(async () => {
      await pool?.close();
      await services?.close();
      await target?.dispose();
    });

    const snapshot = async (id: string): Promise<SnapshotRecord> => (await services.store.getSnapshot(id)) as SnapshotRecord;
    const latestOf = async (name: string): Promise<SnapshotRecord> => {
      const file = (await services.store.listTrackedFiles('web')).find((f) => f.path.endsWith(name));
      return snapshot(file?.latestSnapshotId as string);
    };

    it('re-parses exactly the versions an older or unrecorded parser version made', async () => {
      await services.devices.add({ name: 'web', local: true, watch: [`${root}/**`] });
      await services.monitoring.scan('web');
      await services.analysis.idle();
      writeFileSync(join(root, 'conf.d', 'site.conf'), site(9090));
      await services.monitoring.scan('web');
      await services.analysis.idle();

      const older = (await latestOf('site.conf')).previousId as string;
      const nginx = await latestOf('site.conf');
      const dotenv = await latestOf('.env');
      expect(nginx.configType).toBe('nginx');
      expect(dotenv.configType).toBe('env');
      // the capture path records the version of the parser that made each parse
      for (const s of [nginx, dotenv, await snapshot(older), await latestOf('compose.yaml')]) expect(s.parserVersion).not.toBeNull();
      expect(nginx.parserVersion).toBe(NGINX_PARSER_VERSION);
      expect(dotenv.parserVersion).toBe(ENV_PARSER_VERSION);

      // a parse stored before versions were recorded, a parse that is not what the parser gives, and no graph
      await sql`update snapshots set parser_version = null where id = ${dotenv.id}`.execute(services.store.db);
      await services.store.annotateSnapshot(nginx.id, { parsed: { stale: true } });
      await services.store.annotateSnapshot(dotenv.id, { parsed: { stale: true } });
      await services.store.annotateSnapshot(older, { parsed: { stale: true } });
      await services.dependencies.replaceDerived('web', { nodes: [], edges: [] });
      expect((await services.dependencies.load('web')).edges).toEqual([]);
      const tracked = (await services.store.listTrackedFiles('web')).length;

      const bumped = new AnalysisService(services.store, services.dependencies, { pool, parserVersions: { nginx: NGINX_PARSER_VERSION + 1 } });
      const progress: [number, number][] = [];
      const summary = await bumped.reanalyze({ onProgress: (done, total) => progress.push([done, total]) });
      expect(summary).toMatchObject({ checked: tracked, reanalyzed: 2, skipped: tracked - 2, failed: 0 });
      expect(summary.byType.nginx).toEqual({ checked: 1, reanalyzed: 1, skipped: 0, failed: 0 });
      expect(summary.byType.env).toEqual({ checked: 1, reanalyzed: 1, skipped: 0, failed: 0 });
      expect(progress).toEqual([
        [1, 2],
        [2, 2],
      ]);

      const after = await snapshot(nginx.id);
      expect(after.parserVersion).toBe(NGINX_PARSER_VERSION + 1);
      expect(after.parsed).toHaveProperty('payload');
      expect(await snapshot(dotenv.id)).toMatchObject({ parserVersion: ENV_PARSER_VERSION, parsed: { variables: expect.anything() } });
      // not the latest version: left to --all
      expect(await snapshot(older)).toMatchObject({ parserVersion: NGINX_PARSER_VERSION, parsed: { stale: true } });
      expect((await services.dependencies.load('web')).edges.length).toBeGreaterThan(0);

      expect(await bumped.reanalyze({})).toMatchObject({ checked: tracked, reanalyzed: 0, skipped: tracked });

      const all = await bumped.reanalyze({ all: true, type: 'nginx', device: 'web' });
      expect(all).toEqual({ checked: 2, reanalyzed: 1, skipped: 1, failed: 0, byType: { nginx: { checked: 2, reanalyzed: 1, skipped: 1, failed: 0 } } });
      expect(await snapshot(older)).toMatchObject({ parserVersion: NGINX_PARSER_VERSION + 1, parsed: { payload: expect.anything() } });

      await expect(bumped.reanalyze({ device: 'nope' })).rejects.toMatchObject({ code: 'CW_ERR_NOT_FOUND' });
    });
  });
}
