/**
 * Nothing derived from file contents reaches the database in clear: a
 * marker in a `.env` value, in an nginx file (which nginx -t rejects, so
 * the marker is in its output too) and in a file created and then rolled
 * back goes through capture, analysis, validation, a rollback plan and its
 * batch; the SQLite file and its WAL, or a pg_dump of the schema, never
 * hold it. Then the same on a database written by a version that stored
 * these values in clear: migration 0007 seals them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { initHome } from '../../src/services/init.service.js';
import { openServices, type Services } from '../../src/services/services.js';
import { SQLITE_FILE } from '../../src/store/database.js';
import { sealedDerivedMigration } from '../../src/store/migrations/0007-sealed-derived.js';
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
      await services.analysis.idle();
      await services.validation.idle();

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
}
