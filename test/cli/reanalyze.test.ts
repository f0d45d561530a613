/**
 * `confwatch reanalyze` as users run it (the built binary): on a database
 * whose parses were stored before parser versions were recorded, it parses
 * each file's latest version again and says so in its JSON summary; run
 * again, it has nothing to do. An unknown device or type is bad usage.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../../src/store/database.js';
import { runCli, tempHome } from '../helpers/cli.js';

const COUNTS = ['checked', 'failed', 'reanalyzed', 'skipped'];

describe('confwatch reanalyze', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'reanalyze-host');
  const cli = (...args: string[]) => runCli(args, { env: t.env, timeoutMs: 60_000 });
  const versions = () => {
    const db = new BetterSqlite3(join(t.home, SQLITE_FILE), { readonly: true });
    try {
      return db.prepare('select parser_version as v from snapshots').all() as { v: number | null }[];
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    mkdirSync(join(root, 'nginx', 'conf.d'), { recursive: true });
    mkdirSync(join(root, 'app'), { recursive: true });
    writeFileSync(join(root, 'nginx', 'conf.d', 'site.conf'), 'server {\n  listen 127.0.0.1:18292;\n}\n');
    writeFileSync(join(root, 'app', 'compose.yaml'), 'services:\n  web:\n    image: nginx:1\n');
    writeFileSync(join(root, 'app', '.env'), 'A=1\n');
    expect((await cli('init')).code).toBe(0);
    expect((await cli('device', 'add', 'box', '--local', '--watch', `${root}/**`)).code).toBe(0);
    expect((await cli('scan', 'box', '--json')).code).toBe(0);
  });
  afterAll(() => t.remove());

  it('parses again what was stored before versions were recorded, then has nothing to do', async () => {
    expect(versions().length).toBe(3);
    expect(versions().every((r) => r.v !== null)).toBe(true);
    const db = new BetterSqlite3(join(t.home, SQLITE_FILE));
    db.prepare('update snapshots set parser_version = null').run();
    db.close();

    const first = await cli('reanalyze', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe('');
    const body = first.json();
    expect(Object.keys(body).sort()).toEqual(['byType', ...COUNTS].sort());
    expect(body).toMatchObject({ checked: 3, reanalyzed: 3, skipped: 0, failed: 0 });
    expect(Object.keys(body.byType).sort()).toEqual(['compose', 'env', 'nginx']);
    for (const counts of Object.values(body.byType)) expect(Object.keys(counts as object).sort()).toEqual(COUNTS);
    expect(body.byType.nginx).toEqual({ checked: 1, reanalyzed: 1, skipped: 0, failed: 0 });
    expect(versions().every((r) => r.v !== null)).toBe(true);

    const second = await cli('reanalyze', '--device', 'box', '--type', 'nginx', '--all', '--json');
    expect(second.code, second.stderr).toBe(0);
    expect(second.json()).toEqual({ checked: 1, reanalyzed: 0, skipped: 1, failed: 0, byType: { nginx: { checked: 1, reanalyzed: 0, skipped: 1, failed: 0 } } });
  });

  it('exits 2 with one line on stderr for an unknown device or type', async () => {
    for (const [flag, name] of [
      ['--device', 'nope'],
      ['--type', 'bogus'],
    ] as const) {
      const r = await cli('reanalyze', flag, name, '--json');
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^confwatch: \S.*\n$/);
      expect(r.stderr).toContain(flag === '--device' ? `"${name}"` : '--type must be one of');
    }
  });
});
