/**
 * A warehouse world: identity, inventory, catalog, payments, rentals and analytics hosted in this
 * process (rentals and payments on databases of their own, as two-phase settlement needs),
 * with the warehouse on DuckDB (a file in a temporary data directory) or PostgreSQL (a
 * database of its own), plus helpers to run the ETL to its end and read the warehouse back.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analytics } from '../../../src/modules/analytics/contract.ts';
import { analyticsModule } from '../../../src/modules/analytics/module.ts';
import { openWarehouse, type WarehouseLocation } from '../../../src/modules/analytics/warehouse/open-warehouse.ts';
import type { WarehouseRow } from '../../../src/modules/analytics/warehouse/port.ts';
import { warehouseTables } from '../../../src/modules/analytics/warehouse/schema.ts';
import { catalogModule } from '../../../src/modules/catalog/module.ts';
import { identity } from '../../../src/modules/identity/contract.ts';
import { identityModule } from '../../../src/modules/identity/module.ts';
import { inventoryModule } from '../../../src/modules/inventory/module.ts';
import { paymentsModule } from '../../../src/modules/payments/module.ts';
import { rentalsModule } from '../../../src/modules/rentals/module.ts';
import type { OutputOf } from '../../../src/shared/bus/contract.ts';
import { systemContext } from '../../../src/shared/bus/context.ts';
import { testServers } from '../../support/env.ts';
import { createDatabase } from '../../support/services.ts';
import { startTestHost, type TestHost } from '../../support/test-host.ts';
import {
  connect,
  createWorldDatabases,
  eventually,
  FAST_RENTALS_ENV,
  type Connections,
  type Databases,
} from '../../rentals/support/world.ts';

export type Engine = 'duckdb' | 'postgres';
export type Run = OutputOf<typeof analytics.ops.getRun>;

/** Where a world's warehouse and data live, so a second host (or a child process) can use the same. */
export interface WarehousePlace {
  engine: Engine;
  dbs: Databases;
  dataDir: string;
  warehouseUrl?: string;
}

export async function createWarehousePlace(engine: Engine): Promise<WarehousePlace> {
  const dbs = await createWorldDatabases();
  const dataDir = await mkdtemp(join(tmpdir(), 'shareloop-warehouse-'));
  return {
    engine,
    dbs,
    dataDir,
    ...(engine === 'postgres' ? { warehouseUrl: await createDatabase(testServers().pgUrl) } : {}),
  };
}

/** The environment a process hosting this place needs (module databases, warehouse, fast recovery). */
export function placeEnv(place: WarehousePlace, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...FAST_RENTALS_ENV,
    RENTALS_DATABASE_URL: place.dbs.rentalsUrl,
    PAYMENTS_DATABASE_URL: place.dbs.paymentsUrl,
    DATABASE_URL: place.dbs.mainUrl,
    DATA_DIR: place.dataDir,
    WAREHOUSE_ETL_INTERVAL: '0',
    WAREHOUSE_URL: place.warehouseUrl ?? '',
    ...extra,
  };
}

export const admin = () => systemContext({ caller: { userId: randomUUID(), role: 'admin' }, timeoutMs: 30_000 });

export interface WarehouseWorld {
  place: WarehousePlace;
  host: TestHost;
  sql: Connections;
  /** Starts a run and waits for its end; fails unless it succeeded. */
  etl(mode?: 'incremental' | 'full' | 'rebuild'): Promise<Run>;
  /** Every warehouse table, rows sorted: what "the same warehouse" compares. */
  snapshot(): Promise<Record<string, WarehouseRow[]>>;
  registerUser(): Promise<string>;
  /** Waits until every event published so far was applied (an item comes back after a return through rentalCompleted). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** Waits until a run has ended. */
export function runEnded(host: TestHost, runId: string, timeoutMs = 60_000): Promise<Run> {
  return eventually(
    `warehouse run ${runId} to end`,
    async () => {
      const run = await host.platform.bus.call(analytics.ops.getRun, { id: runId }, admin());
      return run.status === 'running' ? undefined : run;
    },
    timeoutMs,
  );
}

export async function startWarehouseWorld(
  place: WarehousePlace,
  extraEnv: Record<string, string> = {},
): Promise<WarehouseWorld> {
  const env = placeEnv(place, extraEnv);
  // Modules read their own settings from process.env (this test process hosts them).
  Object.assign(process.env, env);
  if (!place.warehouseUrl) delete process.env.WAREHOUSE_URL;
  const host = await startTestHost(
    [identityModule, inventoryModule, catalogModule, paymentsModule, rentalsModule, analyticsModule],
    {
      DATABASE_URL: place.dbs.mainUrl,
      DATA_DIR: place.dataDir,
      OUTBOX_POLL_MS: '100',
      DB_POOL_MAX: '10',
    },
  );
  const sql = connect(place.dbs);
  const location: WarehouseLocation = { url: place.warehouseUrl, dataDir: place.dataDir };
  return {
    place,
    host,
    sql,
    async etl(mode = 'incremental') {
      const started = await host.platform.bus.call(analytics.ops.startRun, { mode }, admin());
      const run = await runEnded(host, started.id);
      assert.equal(run.status, 'succeeded', `run ${run.id} ${run.status}: ${run.error}`);
      return run;
    },
    async snapshot() {
      const warehouse = await openWarehouse(location);
      try {
        const tables: Record<string, WarehouseRow[]> = {};
        for (const table of warehouseTables.filter((t) => !t.internal)) {
          const columns = table.columns.map((c) =>
            c.type === 'TIMESTAMP' || c.type === 'DATE' ? `CAST(${c.name} AS VARCHAR) AS ${c.name}` : c.name,
          );
          tables[table.name] = await warehouse.all(
            `SELECT ${columns.join(', ')} FROM ${table.name} ORDER BY ${table.key.join(', ')}`,
          );
        }
        return tables;
      } finally {
        await warehouse.close();
      }
    },
    async registerUser() {
      const user = await host.platform.bus.call(
        identity.ops.register,
        { email: `w-${randomUUID().slice(0, 8)}@example.test`, password: 'correct horse battery', displayName: 'W' },
        systemContext(),
      );
      return user.id;
    },
    async settle() {
      await eventually(
        'the outboxes to drain',
        async () => {
          await host.platform.events.drain();
          const [main] = await sql.main<{ n: string }[]>`
            select ((select count(*) from identity.outbox where sent_at is null) + (select count(*) from inventory.outbox where sent_at is null))::text as n`;
          const [rentalsOutbox] = await sql.rentals<
            { n: string }[]
          >`select count(*)::text as n from rentals.outbox where sent_at is null`;
          return Number(main!.n) + Number(rentalsOutbox!.n) === 0 ? true : undefined;
        },
        30_000,
      );
    },
    async stop() {
      await host.stop();
      await sql.close();
    },
  };
}

export async function removePlace(place: WarehousePlace): Promise<void> {
  await rm(place.dataDir, { recursive: true, force: true });
}
