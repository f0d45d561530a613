/**
 * The few column types that are spelled differently on SQLite and
 * PostgreSQL. Everything else in the migrations is portable.
 */
import type { ColumnDataType } from 'kysely';
import type { DialectName } from '../tables.js';

export interface ColumnTypes {
  /** Binary data: `blob` / `bytea`. */
  readonly binary: ColumnDataType;
  /** Auto-incrementing integer key: `integer` (+ autoincrement) / `serial`. */
  readonly autoId: ColumnDataType;
  /** True when the auto id column needs `.autoIncrement()` (SQLite). */
  readonly autoIncrement: boolean;
}

export const columnTypes = (dialect: DialectName): ColumnTypes =>
  dialect === 'postgres'
    ? { binary: 'bytea', autoId: 'serial', autoIncrement: false }
    : { binary: 'blob', autoId: 'integer', autoIncrement: true };
