/** Fresh rentals-like and payments-like databases on the test cluster, and cluster-wide checks. */
import { afterEach } from 'node:test';
import postgres from 'postgres';
import { testServers } from '../../../../../test/support/env.ts';
import { createDatabase } from '../../../../../test/support/services.ts';
import {
  createTwoPhaseCoordinator,
  type CoordinatorOptions,
  type ParticipantFinisher,
  type TwoPhaseCoordinator,
} from '../coordinator.ts';
import { formatGid, gidPrefix } from '../gid.ts';
import { localFinisher } from '../local-participant.ts';
import { openStores, PAYMENTS_DDL, RENTALS_DDL, twoPhaseLog, uniqueCoordinator, type Stores } from './fixtures.ts';

export interface SettlementDatabases {
  serverUrl: string;
  rentalsUrl: string;
  paymentsUrl: string;
}

/** Two new databases on the test cluster with the rentals and payments tables. */
export async function createSettlementDatabases(): Promise<SettlementDatabases> {
  const serverUrl = testServers().pgUrl;
  const rentalsUrl = await createDatabase(serverUrl);
  const paymentsUrl = await createDatabase(serverUrl);
  for (const [url, ddl] of [
    [rentalsUrl, RENTALS_DDL],
    [paymentsUrl, PAYMENTS_DDL],
  ] as const) {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(ddl);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }
  return { serverUrl, rentalsUrl, paymentsUrl };
}

/** Prepared transactions with this GID prefix in any database of the cluster. */
export async function preparedOnCluster(
  serverUrl: string,
  prefix: string,
): Promise<{ gid: string; database: string }[]> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    return [
      ...(await sql<
        { gid: string; database: string }[]
      >`select gid, database::text from pg_prepared_xacts where starts_with(gid, ${prefix}) order by gid`),
    ];
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Rolls back whatever a failed test left prepared under prefix, so it holds no locks or slots. */
export async function rollbackLeftovers(dbs: SettlementDatabases, prefix: string): Promise<void> {
  for (const url of [dbs.rentalsUrl, dbs.paymentsUrl]) {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<
        { gid: string }[]
      >`select gid from pg_prepared_xacts where database = current_database() and starts_with(gid, ${prefix})`;
      for (const { gid } of rows) await sql.unsafe(`rollback prepared '${gid.replaceAll("'", "''")}'`);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }
}

/** Fresh databases, connections and a coordinator name for one test. */
export interface Settlement extends SettlementDatabases {
  stores: Stores;
  name: string;
  prefix: string;
  /** Recovery's finishers for both participants, on this process's connections. */
  finishers: ParticipantFinisher[];
  coordinator(options?: Partial<CoordinatorOptions>): TwoPhaseCoordinator;
  gidOf(transactionId: string, participant: 'rentals' | 'payments'): string;
  close(): Promise<void>;
}

export async function openSettlement(): Promise<Settlement> {
  const dbs = await createSettlementDatabases();
  const stores = openStores(dbs.rentalsUrl, dbs.paymentsUrl);
  const name = uniqueCoordinator();
  const finishers = [localFinisher('rentals', stores.rentalsSql), localFinisher('payments', stores.paymentsSql)];
  return {
    ...dbs,
    stores,
    name,
    prefix: gidPrefix(name),
    finishers,
    coordinator: (options = {}) =>
      createTwoPhaseCoordinator({ name, db: stores.rentalsDb, table: twoPhaseLog, finishers, ...options }),
    gidOf: (transactionId, participant) => formatGid({ coordinator: name, participant, transactionId }),
    close: async () => {
      await rollbackLeftovers(dbs, gidPrefix(name)).catch(() => {});
      await stores.close();
    },
  };
}

/** Opens settlements for the tests of the calling file; each is closed after the test that opened it. */
export function settlementPerTest(): () => Promise<Settlement> {
  let open: Settlement[] = [];
  afterEach(async () => {
    await Promise.all(open.map((s) => s.close()));
    open = [];
  });
  return async () => {
    const s = await openSettlement();
    open.push(s);
    return s;
  };
}
