import type { TableSpec } from './schema.ts';

/** A value sent to or read from the warehouse: JSON-like, timestamps as ISO strings. */
export type WarehouseValue = string | number | boolean | null;
export type WarehouseRow = Record<string, WarehouseValue>;

/** Statements on one connection (inside a transaction, or not). SQL uses $1, $2… placeholders and runs on both engines. */
export interface WarehouseSession {
  run(sql: string, params?: readonly WarehouseValue[]): Promise<void>;
  all(sql: string, params?: readonly WarehouseValue[]): Promise<WarehouseRow[]>;
  /**
   * Bulk-loads rows into a staging table shaped like `table` (all text), replacing what it
   * held; the caller merges from it with SQL. Engines without a fast path leave it out.
   */
  stage?(table: TableSpec, rows: readonly (readonly WarehouseValue[])[]): Promise<string>;
}

/** The warehouse port: the star schema in embedded DuckDB or in PostgreSQL, one interface. */
export interface Warehouse extends WarehouseSession {
  engine: 'duckdb' | 'postgres';
  /** Where it lives, safe to show (no password). */
  label: string;
  /** Runs fn in one transaction: all of it commits, or none (a killed process leaves nothing). */
  transaction<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T>;
  /** Writes each table as Parquet under dir (facts partitioned by date); returns the files' table names. */
  exportParquet(dir: string, tables: readonly ExportTable[]): Promise<void>;
  close(): Promise<void>;
}

/** A table to export and the date column its files are partitioned by, if any. */
export interface ExportTable {
  name: string;
  partitionBy?: string;
}

/** Normalizes a driver value to a WarehouseValue. */
export function toWarehouseValue(value: unknown): WarehouseValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

export function toWarehouseRow(row: Record<string, unknown>): WarehouseRow {
  const out: WarehouseRow = {};
  for (const [key, value] of Object.entries(row)) out[key] = toWarehouseValue(value);
  return out;
}
