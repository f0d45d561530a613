/**
 * Opens the database: SQLite at `<home>/confwatch.db` by default (WAL,
 * busy timeout 5 s, foreign keys on), PostgreSQL for a `postgres://` or
 * `postgresql://` URL. Migrations run before the instance is returned.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Dialect, Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase, sql } from 'kysely';
import pg from 'pg';
import { ConfwatchError, isConfwatchError } from '../errors.js';
import { isPostgresUrl, redactDatabaseUrl } from './database-url.js';
import type { KeyRing } from './keyring.js';
import { migrateToLatest } from './migrator.js';
import type { Database, DialectName } from './tables.js';

export const SQLITE_FILE = 'confwatch.db';
const CONNECT_TIMEOUT_MS = 10_000;
const PG_INT8_OID = 20;

export interface OpenedDatabase {
  /** The query builder over the migrated schema. */
  readonly db: Kysely<Database>;
  /** Which database is underneath. */
  readonly dialect: DialectName;
  /** Where it is, safe to show (no password). */
  readonly location: string;
}

/**
 * Opens and migrates the database. Rejects CW_ERR_DB_CONNECT (URL shown
 * without its password) when it cannot be opened or reached, and
 * CW_ERR_DB_MIGRATION when a migration fails. `keys` (the master key ring)
 * lets migrations seal values older versions stored in clear.
 */
export async function openDatabase(url: string | undefined, home: string, keys?: KeyRing): Promise<OpenedDatabase> {
  const target = url === undefined || url === '' ? sqliteTarget(home) : postgresTarget(url);
  const db = new Kysely<Database>({ dialect: target.dialect });
  try {
    await sql`select 1`.execute(db);
  } catch (cause) {
    await db.destroy().catch(() => undefined);
    throw connectError(target.location, cause);
  }
  try {
    await migrateToLatest(db, target.name, keys);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return { db, dialect: target.name, location: target.location };
}

interface Target {
  readonly name: DialectName;
  readonly dialect: Dialect;
  readonly location: string;
}

function sqliteTarget(home: string): Target {
  const file = join(home, SQLITE_FILE);
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const database = new BetterSqlite3(file);
    database.pragma('journal_mode = WAL');
    // In WAL mode NORMAL never corrupts the file; a power cut may lose the last commits only.
    database.pragma('synchronous = NORMAL');
    database.pragma('busy_timeout = 5000');
    database.pragma('foreign_keys = ON');
    return { name: 'sqlite', dialect: new SqliteDialect({ database: withStatementCache(database) }), location: file };
  } catch (cause) {
    throw connectError(file, cause);
  }
}

/** Prepared statements kept per connection; the store issues a few dozen distinct ones. */
const STATEMENT_CACHE_SIZE = 200;

/**
 * Reuses prepared statements by SQL text. Kysely prepares every query
 * anew, and preparing cost as much as running the statement in a burst of
 * writes. Safe because Kysely runs one query at a time on the single
 * SQLite connection, and SQLite re-prepares a statement itself when the
 * schema changes under it.
 */
function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare(text) {
      let statement = statements.get(text);
      if (statement) {
        // most recently used last, so the oldest is evicted first
        statements.delete(text);
      } else {
        statement = database.prepare(text);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
      }
      statements.set(text, statement);
      return statement;
    },
  };
}

function postgresTarget(url: string): Target {
  const location = redactDatabaseUrl(url);
  if (!isPostgresUrl(url)) {
    throw new ConfwatchError(
      'CW_ERR_DB_CONNECT',
      `Unsupported database URL ${location}: use postgres://… or leave CONFWATCH_DATABASE_URL unset for SQLite.`,
    );
  }
  try {
    const pool = new pg.Pool({
      connectionString: url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // int8 columns (sizes, inodes) come back as numbers, as on SQLite.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === PG_INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    return { name: 'postgres', dialect: new PostgresDialect({ pool }), location };
  } catch (cause) {
    throw connectError(location, cause);
  }
}

function connectError(location: string, cause: unknown): ConfwatchError {
  if (isConfwatchError(cause)) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ConfwatchError('CW_ERR_DB_CONNECT', `Cannot open the database at ${location}: ${redactReason(reason)}`, { cause });
}

/** Drivers sometimes echo the connection string; keep passwords out of messages. */
const redactReason = (reason: string): string => reason.replace(/(postgres(?:ql)?:\/\/[^\s]*)/gi, (u) => redactDatabaseUrl(u));
