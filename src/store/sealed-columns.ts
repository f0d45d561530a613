/**
 * The columns holding values derived from file contents, sealed with
 * SealedJson. Migrations 0007 and 0011 seal the clear values already
 * stored, and `keys rotate` re-seals every value under the new key, through
 * the same pass: pages of rows not yet sealed under the current key, each
 * updated only if it still holds what was read (a concurrent writer wins).
 */
import { type QueryExecutorProvider, sql } from 'kysely';
import { type SealedJson, sealedWithPattern } from './sealed-json.js';

/** One table's sealed columns and the key that names a row. */
export interface SealedColumns {
  readonly table:
    | 'snapshots'
    | 'tracked_files'
    | 'rollback_plans'
    | 'batches'
    | 'dependency_graphs'
    | 'compliance_results'
    | 'alert_channels'
    | 'alert_deliveries'
    | 'change_requests'
    | 'templates';
  readonly key: readonly string[];
  readonly columns: readonly string[];
}

/**
 * The columns migration 0007 seals. It runs on databases where tables
 * created by later migrations do not exist yet, so this list never grows.
 */
export const SEALED_COLUMNS: readonly SealedColumns[] = [
  { table: 'snapshots', key: ['id'], columns: ['parsed', 'parse_errors', 'validation', 'impact'] },
  { table: 'tracked_files', key: ['device', 'path'], columns: ['last_error'] },
  { table: 'rollback_plans', key: ['id'], columns: ['steps'] },
  { table: 'batches', key: ['id'], columns: ['journal'] },
];

/** The dependency graph's nodes and edges (names of services, hosts, paths), sealed since migration 0011. */
export const SEALED_GRAPH_COLUMNS: SealedColumns = { table: 'dependency_graphs', key: ['device', 'source'], columns: ['graph'] };

/** Compliance findings (a rule's message and line quote the file), sealed since migration 0014 created them. */
export const SEALED_COMPLIANCE_COLUMNS: SealedColumns = { table: 'compliance_results', key: ['device', 'path', 'rule'], columns: ['finding'] };

/** Alert channel URLs (they hold tokens) and alert payloads (they carry diff excerpts), sealed since migration 0013. */
export const SEALED_ALERT_COLUMNS: readonly SealedColumns[] = [
  { table: 'alert_channels', key: ['name'], columns: ['url'] },
  { table: 'alert_deliveries', key: ['id'], columns: ['payload'] },
];

/** A change request's entries (candidate bytes, diffs, impact) and its outcome (batch errors quote validation), sealed since migration 0016. */
export const SEALED_CHANGE_REQUEST_COLUMNS: SealedColumns = { table: 'change_requests', key: ['id'], columns: ['entries', 'outcome'] };

/** Template bodies (a template may hold credentials like the files it renders), sealed since migration 0017. */
export const SEALED_TEMPLATE_COLUMNS: SealedColumns = { table: 'templates', key: ['name', 'version'], columns: ['body'] };

/** Every sealed column of the current schema: what `keys rotate` re-seals. */
export const ALL_SEALED_COLUMNS: readonly SealedColumns[] = [
  ...SEALED_COLUMNS,
  SEALED_GRAPH_COLUMNS,
  SEALED_COMPLIANCE_COLUMNS,
  ...SEALED_ALERT_COLUMNS,
  SEALED_CHANGE_REQUEST_COLUMNS,
  SEALED_TEMPLATE_COLUMNS,
];

/** `<table>.<column>`, the name a sealed value is bound to. */
export const sealedColumnName = (table: string, column: string): string => `${table}.${column}`;

const PAGE = 500;

/**
 * Seals, under the current key, every value of `sets` (by default the
 * columns migration 0007 knows) that is clear or sealed under another key.
 * Returns how many values changed.
 */
export async function sealPending(
  db: QueryExecutorProvider,
  sealer: SealedJson,
  keyId: string,
  onProgress?: (done: number) => void,
  sets: readonly SealedColumns[] = SEALED_COLUMNS,
): Promise<number> {
  let done = 0;
  for (const set of sets) {
    for (const column of set.columns) {
      const place = sealedColumnName(set.table, column);
      for (;;) {
        const { rows } = await sql<Record<string, string>>`select ${sql.join(set.key.map((k) => sql.ref(k)))}, ${sql.ref(column)} as value
          from ${sql.table(set.table)} where ${sql.ref(column)} is not null and ${sql.ref(column)} not like ${sealedWithPattern(keyId)}
          limit ${PAGE}`.execute(db);
        if (rows.length === 0) break;
        let changed = 0;
        for (const row of rows) {
          const keys = set.key.map((k) => String(row[k]));
          const value = row.value as string;
          const sealed = sealer.reseal(value, { column: place, row: keys });
          const where = sql.join(
            set.key.map((k, i) => sql`${sql.ref(k)} = ${keys[i]}`),
            sql` and `,
          );
          const result = await sql`update ${sql.table(set.table)} set ${sql.ref(column)} = ${sealed}
            where ${where} and ${sql.ref(column)} = ${value}`.execute(db);
          if (Number(result.numAffectedRows ?? 0) > 0) {
            changed += 1;
            done += 1;
            onProgress?.(done);
          }
        }
        // Every row of the page was rewritten meanwhile, by writers sealing under the current key.
        if (changed === 0) break;
      }
    }
  }
  return done;
}
