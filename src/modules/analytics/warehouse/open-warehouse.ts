import { join } from 'node:path';
import { openDuckdbWarehouse } from './duckdb-warehouse.ts';
import { openPostgresWarehouse } from './postgres-warehouse.ts';
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

/** Opens the warehouse and creates its tables when missing. */
export async function openWarehouse(location: WarehouseLocation): Promise<Warehouse> {
  const warehouse = location.url
    ? openPostgresWarehouse(location.url)
    : await openDuckdbWarehouse(duckdbFile(location.dataDir));
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
