import { DuckDBInstance } from '@duckdb/node-api';
import postgres from 'postgres';
import { redactUrl } from '../../../shared/db/database.ts';
import { copyToParquet } from './duckdb-warehouse.ts';
import { tableDdl, warehouseTables } from './schema.ts';
import { insertStatement } from './statements.ts';
import { toWarehouseRow, type Warehouse, type WarehouseSession, type WarehouseValue } from './port.ts';

const COPY_BATCH = 1_000;

function session(sql: postgres.Sql | postgres.TransactionSql): WarehouseSession {
  const params = (values: readonly WarehouseValue[] | undefined) => (values ?? []) as postgres.ParameterOrJSON<never>[];
  return {
    async run(text, values) {
      await sql.unsafe(text, params(values));
    },
    async all(text, values) {
      const rows = await sql.unsafe(text, params(values));
      return rows.map((row) => toWarehouseRow(row as Record<string, unknown>));
    },
  };
}

/** The PostgreSQL warehouse (WAREHOUSE_URL): its own database, any number of readers, runs serialized by the ETL lease. */
export function openPostgresWarehouse(url: string): Warehouse {
  const sql = postgres(url, {
    max: 4,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    types: { bigint: postgres.BigInt },
  });
  const base = session(sql);
  return {
    engine: 'postgres',
    label: redactUrl(url),
    ...base,
    transaction: (fn) => sql.begin((tx) => fn(session(tx))) as Promise<never>,
    // PostgreSQL writes no Parquet: each table goes through an in-memory DuckDB, a batch at a time.
    async exportParquet(dir, tables) {
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      const duck: WarehouseSession = {
        run: async (text, values) => void (await connection.run(text, (values ?? []) as never)),
        all: async () => [],
      };
      try {
        for (const table of tables) {
          const spec = warehouseTables.find((t) => t.name === table.name)!;
          await duck.run(tableDdl(spec));
          const columns = spec.columns.map((c) => c.name);
          for (let offset = 0; ; offset += COPY_BATCH) {
            const rows = await base.all(
              `SELECT ${columns.join(', ')} FROM ${spec.name} ORDER BY ${spec.key.join(', ')} LIMIT ${COPY_BATCH} OFFSET ${offset}`,
            );
            if (rows.length === 0) break;
            const { text, values } = insertStatement(
              spec.name,
              spec.columns,
              rows.map((row) => columns.map((c) => row[c] ?? null)),
            );
            await duck.run(text, values);
            if (rows.length < COPY_BATCH) break;
          }
        }
        await copyToParquet(duck, dir, tables);
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
