/**
 * A rentals world for integration, crash and fuzz tests: inventory, payments and rentals hosted
 * in this process on the test PostgreSQL, with rentals and payments on databases of their own
 * (RENTALS_DATABASE_URL / PAYMENTS_DATABASE_URL, as two-phase settlement needs), plus direct
 * connections to check invariants and helpers to list items, fund wallets and rent.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { inventory } from '../../../src/modules/inventory/contract.ts';
import { inventoryModule } from '../../../src/modules/inventory/module.ts';
import { payments } from '../../../src/modules/payments/contract.ts';
import { paymentsModule } from '../../../src/modules/payments/module.ts';
import { rentals } from '../../../src/modules/rentals/contract.ts';
import { rentalsModuleWith } from '../../../src/modules/rentals/module.ts';
import type { SagaFaults } from '../../../src/modules/rentals/saga/faults.ts';
import type { Bus } from '../../../src/shared/bus/bus.ts';
import type { OutputOf } from '../../../src/shared/bus/contract.ts';
import { systemContext } from '../../../src/shared/bus/context.ts';
import { AppError } from '../../../src/shared/bus/errors.ts';
import { testServers } from '../../support/env.ts';
import { createDatabase } from '../../support/services.ts';
import { startTestHost, type TestHost } from '../../support/test-host.ts';

/** Settings that make recovery quick enough for tests. */
export const FAST_RENTALS_ENV: Record<string, string> = {
  RENTALS_STEP_TIMEOUT_MS: '1500',
  RENTALS_STEP_ATTEMPTS: '2',
  RENTALS_SAGA_LEASE_MS: '4000',
  RENTALS_RECOVERY_INTERVAL_MS: '250',
  RENTALS_TWO_PHASE_STALE_MS: '1500',
  RENTALS_TWO_PHASE_RECOVERY_MS: '500',
  RENTALS_ORPHAN_CHECK_MS: '1000',
  PAYMENTS_ORPHAN_CHECK_MS: '500',
  PAYMENTS_ORPHAN_AGE_MS: '3000',
};

export type Rental = OutputOf<typeof rentals.ops.createRental>;
export type Item = OutputOf<typeof inventory.ops.createItem>;

export interface Databases {
  mainUrl: string;
  rentalsUrl: string;
  paymentsUrl: string;
}

/**
 * Fresh databases: one for every module but rentals and payments, which get their own (their
 * settlement is two-phase); with shared, one database for every module (one-phase settlement).
 */
export async function createWorldDatabases(options: { shared?: boolean } = {}): Promise<Databases> {
  const { pgUrl } = testServers();
  if (options.shared) {
    const url = await createDatabase(pgUrl);
    return { mainUrl: url, rentalsUrl: url, paymentsUrl: url };
  }
  const [mainUrl, rentalsUrl, paymentsUrl] = await Promise.all([
    createDatabase(pgUrl),
    createDatabase(pgUrl),
    createDatabase(pgUrl),
  ]);
  return { mainUrl, rentalsUrl, paymentsUrl };
}

/** Direct connections to the three databases. */
export interface Connections {
  main: postgres.Sql;
  rentals: postgres.Sql;
  payments: postgres.Sql;
  close(): Promise<void>;
}

export function connect(dbs: Databases): Connections {
  const open = (url: string) => postgres(url, { max: 3, onnotice: () => {} });
  const c = { main: open(dbs.mainUrl), rentals: open(dbs.rentalsUrl), payments: open(dbs.paymentsUrl) };
  return { ...c, close: async () => void (await Promise.all(Object.values(c).map((s) => s.end({ timeout: 5 })))) };
}

export interface World {
  host: TestHost;
  bus: Bus;
  dbs: Databases;
  sql: Connections;
  stop(): Promise<void>;
}

/**
 * Hosts inventory, payments and rentals on the given (or fresh) databases. The module
 * database URLs are read from process.env, so they are set here for this test process.
 */
export async function startWorld(
  options: { faults?: SagaFaults; env?: Record<string, string>; dbs?: Databases } = {},
): Promise<World> {
  const dbs = options.dbs ?? (await createWorldDatabases());
  Object.assign(process.env, FAST_RENTALS_ENV, options.env ?? {}, {
    RENTALS_DATABASE_URL: dbs.rentalsUrl,
    PAYMENTS_DATABASE_URL: dbs.paymentsUrl,
  });
  const host = await startTestHost(
    [inventoryModule, paymentsModule, rentalsModuleWith(options.faults ? { faults: options.faults } : {})],
    {
      DATABASE_URL: dbs.mainUrl,
      OUTBOX_POLL_MS: '100',
      DB_POOL_MAX: '20',
    },
  );
  const sql = connect(dbs);
  return {
    host,
    bus: host.platform.bus,
    dbs,
    sql,
    stop: async () => {
      await host.stop();
      await sql.close();
    },
  };
}

export const as = (userId: string, role = 'member') => systemContext({ caller: { userId, role }, timeoutMs: 15_000 });

/** Lists an item for an owner. */
export function listItem(
  bus: Bus,
  ownerId: string,
  prices: { daily?: number; deposit?: number; currency?: string } = {},
): Promise<Item> {
  const currency = prices.currency ?? 'EUR';
  return bus.call(
    inventory.ops.createItem,
    {
      title: 'Cordless drill',
      category: 'power-tools',
      dailyPrice: { amount: prices.daily ?? 1_000, currency },
      deposit: { amount: prices.deposit ?? 5_000, currency },
      condition: 'good',
    },
    as(ownerId),
  );
}

export function topUp(bus: Bus, userId: string, amount: number, currency = 'EUR') {
  return bus.call(payments.ops.topUpWallet, { amount, currency }, as(userId));
}

const DAY = 86_400_000;

/**
 * A period of `days` whole days starting `startInDays` days from today (00:00 UTC). The
 * default, today, has started: its rental is handed over at once and can be returned.
 */
export function periodOf(days: number, startInDays = 0): { from: string; to: string } {
  const start = Math.floor(Date.now() / DAY) * DAY + startInDays * DAY;
  return { from: new Date(start).toISOString(), to: new Date(start + days * DAY).toISOString() };
}

/** Rents an item; resolves to the rental or the error it was refused with. */
export async function rent(
  bus: Bus,
  renterId: string,
  itemId: string,
  period = periodOf(3),
  requestKey?: string,
): Promise<{ rental: Rental } | { error: AppError }> {
  try {
    return {
      rental: await bus.call(
        rentals.ops.createRental,
        { itemId, ...period, ...(requestKey ? { requestKey } : {}) },
        as(renterId),
      ),
    };
  } catch (error) {
    if (error instanceof AppError) return { error };
    throw error;
  }
}

/** Asserts the call fails with this AppError code. */
export async function failsWith(promise: Promise<unknown>, code: string): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.detail);
    return error;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

export { eventually } from '../../support/eventually.ts';

export const newUser = () => randomUUID();
