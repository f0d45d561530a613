/**
 * Nothing derived from file contents reaches the database in clear: a
 * marker in a `.env` value, in an nginx file (which nginx -t rejects, so
 * the marker is in its output too) and in a file created and then rolled
 * back goes through capture, analysis, validation, a rollback plan and its
 * batch; the SQLite file and its WAL, or a pg_dump of the schema, never
 * hold it. The marker also names a compose service, an nginx upstream and
 * server_name and an included path, which become dependency-graph nodes.
 * Then the same on a database written by a version that stored these
 * values in clear: migrations 0007 and 0011 seal them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { initHome } from '../../src/services/init.service.js';
import { openServices, type Services } from '../../src/services/services.js';
import { SQLITE_FILE } from '../../src/store/database.js';
import { namesOf } from '../../src/store/graph-queries.js';
import { sealedDerivedMigration } from '../../src/store/migrations/0007-sealed-derived.js';
import { migrationsFor } from '../../src/store/migrations/index.js';
import type { DialectName } from '../../src/store/tables.js';
import { commandExists, describeUnless } from '../helpers/components.js';
import { createTarget, POSTGRES_URL, postgresUnavailable, type TargetInstance } from './store-targets.js';

const MARKER = 'ZQX7MARKERb41c';
const pgMissing = await postgresUnavailable();
const nginxMissing = commandExists('nginx') ? null : 'nginx is not installed';

/** Bytes of the marker found in the database's files (SQLite + WAL) or in a dump of its schema. */
function markerHits(target: TargetInstance, dialect: DialectName): string[] {
  if (dialect === 'sqlite') {
    return [SQLITE_FILE, `${SQLITE_FILE}-wal`]
      .map((name) => join(target.home, name))
      .filter((file) => existsSync(file) && readFileSync(file).includes(MARKER));
  }
  const dump = execFileSync('pg_dump', ['--data-only', '--schema', target.schema as string, POSTGRES_URL], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
  return dump.split('\n').filter((line) => line.includes(MARKER));
}

/**
 * The database as the version before migration 0011 left it: migrated up
 * to 0009, with a dependency graph (a derived and a manual edge) stored in
 * clear rows.
 */
async function olderDatabaseWithClearGraph(target: TargetInstance, dialect: DialectName): Promise<void> {
  const db = new Kysely<unknown>({
    dialect:
      dialect === 'sqlite'
        ? new SqliteDialect({ database: new BetterSqlite3(join(target.home, SQLITE_FILE)) })
        : new PostgresDialect({ pool: new pg.Pool({ connectionString: target.databaseUrl }) }),
  });
  try {
    const older = Object.fromEntries(Object.entries(migrationsFor(dialect)).filter(([name]) => name < '0011'));
    const migrator = new Migrator({ db, provider: { getMigrations: async () => older }, ...(target.schema ? { migrationTableSchema: target.schema } : {}) });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
    const at = new Date().toISOString();
    await sql`insert into dependency_nodes (device, id, kind, name, source, updated_at) values
      ('web', ${`compose:app/svc-${MARKER}`}, 'compose-service', ${`svc-${MARKER}`}, 'derived', ${at}),
      ('web', ${`upstream:up-${MARKER}`}, 'upstream', ${`up-${MARKER}`}, 'derived', ${at}),
      ('web', ${`service:job-${MARKER}`}, 'manual', ${`job-${MARKER}`}, 'manual', ${at})`.execute(db);
    await sql`insert into dependency_edges (device, from_node, to_node, kind, source, source_path, updated_at) values
      ('web', ${`upstream:up-${MARKER}`}, ${`compose:app/svc-${MARKER}`}, 'resolves_to', 'derived', ${`/opt/inc-${MARKER}/site.conf`}, ${at}),
      ('web', ${`service:job-${MARKER}`}, ${`compose:app/svc-${MARKER}`}, 'depends_on', 'manual', null, ${at})`.execute(db);
    if (dialect === 'sqlite') await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
  } finally {
    await db.destroy();
  }
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  const problem = nginxMissing ?? (dialect === 'postgres' ? (pgMissing ?? null) : null);
  describeUnless(problem, `derived values are sealed (${dialect})`, () => {
    let target: TargetInstance;
    let services: Services;
    let root: string;

    beforeEach(async () => {
      target = await createTarget(dialect);
      root = join(target.home, 'nginx');
      mkdirSync(join(root, 'conf.d'), { recursive: true });
      mkdirSync(join(root, 'app'), { recursive: true });
      writeFileSync(join(root, 'nginx.conf'), `error_log stderr;\nevents {}\nhttp {\n  access_log off;\n  include ${root}/conf.d/*.conf;\n}\n`);
      // nginx -t names the unknown directive in its output, and the parser keeps it.
      writeFileSync(join(root, 'conf.d', 'app.conf'), `server {\n  listen 127.0.0.1:18281;\n  add_header X-Trace "${MARKER}-header";\n  ${MARKER}_directive on;\n}\n`);
      writeFileSync(join(root, 'app', '.env'), `API_TOKEN=${MARKER}-env\nDB_HOST=db-${MARKER}\n`);
      // graph nodes: a compose service and its container, an upstream resolving to it, a server and an include outside the watch
      writeFileSync(join(root, 'app', 'compose.yaml'), `services:\n  svc-${MARKER}:\n    image: nginx:1\n    container_name: ctr-${MARKER}\n    hostname: host-${MARKER}\n`);
      writeFileSync(
        join(root, 'conf.d', 'site.conf'),
        `upstream up-${MARKER} {\n  server svc-${MARKER}:8080;\n}\nserver {\n  listen 127.0.0.1:18282;\n  server_name ${MARKER}.example.test;\n  include /opt/inc-${MARKER}/proxy.conf;\n  location / {\n    proxy_pass http://up-${MARKER};\n  }\n}\n`,
      );
      const env = { CONFWATCH_HOME: target.home, ...(target.databaseUrl ? { CONFWATCH_DATABASE_URL: target.databaseUrl } : {}) };
      const environment = { home: target.home, databaseUrl: target.databaseUrl, env };
      await initHome(environment);
      services = await openServices(environment);
    });

    afterEach(async () => {
      await services.close();
      await target.dispose();
    });

    it('after capture, analysis, validation, a rollback plan and its batch', async () => {
      await services.devices.add({ name: 'web', local: true, watch: [`${root}/**`], validateOnCapture: true });
      await services.monitoring.scan('web');
      const before = new Date(Date.now() + 5).toISOString();
      await new Promise((r) => setTimeout(r, 20));
      writeFileSync(join(root, 'app', 'extra.conf'), `secret_value = ${MARKER}-created\n`);
      await services.monitoring.scan('web');
      await services.settled();

      const validation = await services.validation.validate('web', join(root, 'conf.d', 'app.conf'));
      expect(validation.output).toContain(MARKER);
      const files = await services.store.listTrackedFiles('web');
      const appConf = files.find((f) => f.path.endsWith('app.conf'))!;
      await services.store.updateTrackedFile('web', appConf.path, { lastError: `refused: ${validation.output}` });
      const snapshot = await services.store.getSnapshot(appConf.latestSnapshotId!);
      expect(JSON.stringify(snapshot?.parsed)).toContain(MARKER);
      expect(snapshot?.validation?.output).toContain(MARKER);
      expect((await services.store.getTrackedFile('web', appConf.path))?.lastError).toContain(MARKER);

      const plan = await services.writeback.planRollback('web', { time: before });
      expect(JSON.stringify(plan.steps)).toContain(`${MARKER}-created`);
      const applied = await services.writeback.applyPlan(plan.id, 'tester');
      expect(applied.status).toBe('applied');
      expect(existsSync(join(root, 'app', 'extra.conf'))).toBe(false);
      // a batch refused by nginx -t keeps its error (the tool's output) in the journal
      await services.writeback
        .apply(
          { validate: true, reload: false, changes: [{ device: 'web', path: appConf.path, source: { kind: 'content', content: Buffer.from(`server { ${MARKER}_again on; }\n`) }, line: 1 }] },
          { actor: 'tester' },
        )
        .catch(() => undefined);
      await services.analysis.idle();
      // the graph holds the marker's nodes, so storing them in clear would show
      const graph = await services.dependencies.load('web');
      expect(graph.nodes.map((n) => n.name)).toEqual(
        expect.arrayContaining([`svc-${MARKER}`, `ctr-${MARKER}`, `up-${MARKER}`, `${MARKER}.example.test`, `/opt/inc-${MARKER}/proxy.conf`]),
      );
      expect(namesOf(graph.downstream(`svc-${MARKER}`))).toEqual(expect.arrayContaining([`up-${MARKER}`, `${MARKER}.example.test`]));

      expect(markerHits(target, dialect)).toEqual([]);
      // still readable through the store, so nothing was lost by sealing
      expect((await services.writeback.getPlan(plan.id)).steps.some((s) => s.diff.includes(MARKER))).toBe(true);
    });

    it('migration 0007 seals values an older version stored in clear, and keys rotate re-seals them', async () => {
      await services.devices.add({ name: 'web', local: true, watch: [`${root}/**`] });
      await services.monitoring.scan('web');
      await services.analysis.idle();
      const [file] = (await services.store.listTrackedFiles('web')).filter((f) => f.path.endsWith('.env'));
      const db = services.store.db;
      // what an older version left behind: clear JSON and clear text
      await db.updateTable('snapshots').set({ parsed: JSON.stringify({ value: `${MARKER}-old` }) }).where('id', '=', file!.latestSnapshotId!).execute();
      await db.updateTable('tracked_files').set({ last_error: `old error ${MARKER}` }).where('path', '=', file!.path).execute();
      await db.insertInto('batches').values({ id: 'old-batch', status: 'committed', journal: JSON.stringify({ error: MARKER }), created_at: 'x', updated_at: 'x' }).execute();
      if (dialect === 'sqlite') await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
      expect(markerHits(target, dialect).length).toBeGreaterThan(0);

      // later migrations are already applied here, so 0007 is run as the migrator would run it
      await sealedDerivedMigration(services.store.keyRing).up(db as unknown as Kysely<unknown>);
      if (dialect === 'sqlite') await sql`pragma wal_checkpoint(TRUNCATE)`.execute(services.store.db);
      if (dialect === 'sqlite') await sql`vacuum`.execute(services.store.db);
      expect(markerHits(target, dialect)).toEqual([]);
      expect((await services.store.getSnapshot(file!.latestSnapshotId!))?.parsed).toEqual({ value: `${MARKER}-old` });
      expect((await services.store.getTrackedFile('web', file!.path))?.lastError).toBe(`old error ${MARKER}`);

      const oldKey = services.store.keyRing.current.id;
      const { rotateMasterKey } = await import('../../src/store/key-rotation.js');
      const rotated = await rotateMasterKey(target.home, services.store);
      expect(rotated.derived).toBeGreaterThan(0);
      const { rows } = await sql<{ n: number }>`select count(*) as n from snapshots where parsed like ${`cw1:${oldKey}:%`}`.execute(services.store.db);
      expect(Number(rows[0]?.n)).toBe(0);
      expect((await services.store.getSnapshot(file!.latestSnapshotId!))?.parsed).toEqual({ value: `${MARKER}-old` });
    });
  });

  describeUnless(dialect === 'postgres' ? (pgMissing ?? null) : null, `the dependency graph of an older version is sealed (${dialect})`, () => {
    let target: TargetInstance;

    beforeEach(async () => {
      target = await createTarget(dialect);
    });
    afterEach(async () => {
      await target.dispose();
    });

    it('migration 0011 seals the clear graph, queries still answer, and keys rotate re-seals it', async () => {
      await olderDatabaseWithClearGraph(target, dialect);
      expect(markerHits(target, dialect).length).toBeGreaterThan(0);

      const env = { CONFWATCH_HOME: target.home, ...(target.databaseUrl ? { CONFWATCH_DATABASE_URL: target.databaseUrl } : {}) };
      const services = await openServices({ home: target.home, databaseUrl: target.databaseUrl, env });
      try {
        if (dialect === 'sqlite') await sql`pragma wal_checkpoint(TRUNCATE)`.execute(services.store.db);
        expect(markerHits(target, dialect)).toEqual([]);
        const graph = await services.dependencies.load('web');
        expect(namesOf(graph.downstream(`svc-${MARKER}`)).sort()).toEqual([`job-${MARKER}`, `up-${MARKER}`]);
        expect(graph.edges.find((e) => e.kind === 'depends_on')).toMatchObject({ source: 'manual', from: `service:job-${MARKER}` });

        const oldKey = services.store.keyRing.current.id;
        const { rotateMasterKey } = await import('../../src/store/key-rotation.js');
        await rotateMasterKey(target.home, services.store);
        const { rows } = await sql<{ n: number }>`select count(*) as n from dependency_graphs where graph like ${`cw1:${oldKey}:%`}`.execute(services.store.db);
        expect(Number(rows[0]?.n)).toBe(0);
        expect(namesOf((await services.dependencies.load('web')).downstream(`svc-${MARKER}`)).sort()).toEqual([`job-${MARKER}`, `up-${MARKER}`]);
      } finally {
        await services.close();
      }
    });
  });
}
