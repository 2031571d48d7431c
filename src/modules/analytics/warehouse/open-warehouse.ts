import { join } from 'node:path';
import type { Warehouse } from './port.ts';
import { postgresIndexes, tableDdl, warehouseTables } from './schema.ts';

/** Where the warehouse is: PostgreSQL when a URL is given, else a DuckDB file in the data directory. */
export interface WarehouseLocation {
  url?: string | undefined;
  dataDir: string;
}

/** The DuckDB file of a data directory. */
export const duckdbFile = (dataDir: string) =>
  dataDir === 'memory://' ? ':memory:' : join(dataDir, 'warehouse.duckdb');

/**
 * Opens the warehouse and creates its tables when missing. DuckDB (its native library, ~37 MB
 * resident, used by both engines) is loaded here, on first use, not when a server starts.
 */
export async function openWarehouse(location: WarehouseLocation): Promise<Warehouse> {
  const warehouse = location.url
    ? (await import('./postgres-warehouse.ts')).openPostgresWarehouse(location.url)
    : await (await import('./duckdb-warehouse.ts')).openDuckdbWarehouse(duckdbFile(location.dataDir));
  try {
    await createTables(warehouse, warehouse);
  } catch (error) {
    await warehouse.close().catch(() => {});
    throw error;
  }
  return warehouse;
}

/** Creates the star schema (idempotent). */
export async function createTables(
  warehouse: Pick<Warehouse, 'engine'>,
  db: { run(sql: string): Promise<void> },
): Promise<void> {
  for (const table of warehouseTables) await db.run(tableDdl(table));
  if (warehouse.engine === 'postgres') for (const index of postgresIndexes) await db.run(index);
}

/** Drops every table (a rebuild from scratch), in the caller's transaction. */
export async function dropTables(db: { run(sql: string): Promise<void> }): Promise<void> {
  for (const table of warehouseTables) await db.run(`DROP TABLE IF EXISTS ${table.name}`);
}
