import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import {
  toWarehouseRow,
  type ExportTable,
  type Warehouse,
  type WarehouseSession,
  type WarehouseValue,
} from './port.ts';

/** One statement at a time on the single connection (DuckDB allows one writer per file). */
function session(connection: DuckDBConnection): WarehouseSession {
  const values = (params: readonly WarehouseValue[] | undefined) => (params ?? []) as DuckDBValue[];
  return {
    async run(sql, params) {
      await connection.run(sql, values(params));
    },
    async all(sql, params) {
      const reader = await connection.runAndReadAll(sql, values(params));
      return reader.getRowObjectsJS().map((row) => toWarehouseRow(row as Record<string, unknown>));
    },
    // DuckDB parses large parameterized INSERTs slowly; its appender into a text staging table is much faster.
    async stage(table, rows) {
      const name = `stage_${table.name}`;
      await connection.run(
        `CREATE TEMP TABLE IF NOT EXISTS ${name} (${table.columns.map((c) => `${c.name} VARCHAR`).join(', ')})`,
      );
      await connection.run(`DELETE FROM ${name}`);
      const appender = await connection.createAppender(name, 'main', 'temp');
      try {
        for (const row of rows) {
          for (const value of row) {
            if (value === null || value === undefined) appender.appendNull();
            else appender.appendVarchar(String(value));
          }
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      return name;
    },
  };
}

/** Serializes callers: a DuckDB connection runs one transaction at a time. */
function queue() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => {});
    return next;
  };
}

/** Files open in this process: one instance and connection each, shared by every opener, closed with the last. */
const openFiles = new Map<string, { warehouse: Promise<Warehouse>; users: number }>();

/**
 * Opens (creating if needed) the embedded DuckDB warehouse file; ':memory:' for a throwaway
 * one. DuckDB locks a file against other processes; within this process every opener shares
 * one connection (its statements queued), and the file is released when the last one closes.
 */
export async function openDuckdbWarehouse(path: string): Promise<Warehouse> {
  const shared = path === ':memory:' ? undefined : openFiles.get(path);
  if (shared) {
    shared.users += 1;
    return shared.warehouse;
  }
  const entry = { users: 1, warehouse: openFile(path) };
  if (path !== ':memory:') openFiles.set(path, entry);
  entry.warehouse.catch(() => openFiles.delete(path));
  return entry.warehouse;
}

async function openFile(path: string): Promise<Warehouse> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  const base = session(connection);
  const serial = queue();
  return {
    engine: 'duckdb',
    label: `duckdb:${path}`,
    run: (sql, params) => serial(() => base.run(sql, params)),
    all: (sql, params) => serial(() => base.all(sql, params)),
    transaction: (fn) =>
      serial(async () => {
        await base.run('BEGIN TRANSACTION');
        try {
          const result = await fn(base);
          await base.run('COMMIT');
          return result;
        } catch (error) {
          await base.run('ROLLBACK').catch(() => {});
          throw error;
        }
      }),
    exportParquet: (dir, tables) => serial(() => copyToParquet(base, dir, tables)),
    async close() {
      const entry = openFiles.get(path);
      if (entry && --entry.users > 0) return;
      openFiles.delete(path);
      await serial(async () => {
        connection.closeSync();
        instance.closeSync();
      });
    },
  };
}

/** COPY … TO parquet, hive-partitioned by the table's date column (dir/<table>/<column>=YYYY-MM-DD/…). */
export async function copyToParquet(db: WarehouseSession, dir: string, tables: readonly ExportTable[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const table of tables) {
    const target = join(dir, table.name).replaceAll("'", "''");
    if (table.partitionBy) {
      await db.run(
        `COPY (SELECT * FROM ${table.name}) TO '${target}' (FORMAT parquet, PARTITION_BY (${table.partitionBy}), OVERWRITE_OR_IGNORE true)`,
      );
    } else {
      mkdirSync(join(dir, table.name), { recursive: true });
      await db.run(
        `COPY (SELECT * FROM ${table.name}) TO '${join(target, 'data.parquet').replaceAll("'", "''")}' (FORMAT parquet)`,
      );
    }
  }
}
