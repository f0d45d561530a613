/**
 * The databases the store suite runs against. Each test gets a fresh home
 * (temp dir with a master key) and, on PostgreSQL, a fresh schema selected
 * through the connection's search_path, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createMasterKeyFile } from '../../src/store/keyring.js';
import { MIGRATION_ADVISORY_LOCK } from '../../src/store/migrator.js';
import type { DialectName } from '../../src/store/tables.js';

export const POSTGRES_URL = process.env.CONFWATCH_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TargetInstance {
  readonly home: string;
  /** undefined for SQLite. */
  readonly databaseUrl: string | undefined;
  /** PostgreSQL schema of this instance. */
  readonly schema?: string;
  dispose(): Promise<void>;
}

/** Why PostgreSQL cannot be used, or undefined when it can. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (e) {
    return `PostgreSQL at ${POSTGRES_URL} is not reachable (${(e as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Drops `schema` while no migration runs: a migration reads every schema's catalog. */
async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_ADVISORY_LOCK]);
    await client.query(`drop schema ${schema} cascade`);
  } finally {
    await client.end();
  }
}

/** A fresh home (and schema) for one test. */
export async function createTarget(dialect: DialectName): Promise<TargetInstance> {
  const home = mkdtempSync(join(tmpdir(), 'cw-store-'));
  createMasterKeyFile(home);
  const removeHome = async () => rmSync(home, { recursive: true, force: true });
  if (dialect === 'sqlite') return { home, databaseUrl: undefined, dispose: removeHome };
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create schema ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    home,
    databaseUrl: url.toString(),
    schema,
    async dispose() {
      await dropSchema(schema);
      await removeHome();
    },
  };
}
