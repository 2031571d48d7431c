import { inArray, sql } from 'drizzle-orm';
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../../shared/db/database.ts';
import { accounts } from './db/schema.ts';

/**
 * payments_ledger_balance{kind,currency}: money held for rentals (holds) and fees settled to the
 * platform (platform_fees), in minor units, summed from the ledger's running balances at scrape time.
 */
export function registerLedgerGauge(registry: Registry, db: Db): Gauge {
  return new Gauge({
    name: 'payments_ledger_balance',
    help: 'Money on the ledger by account kind (holds: held for rentals; platform_fees: settled fees) and currency, in minor units',
    labelNames: ['kind', 'currency'],
    registers: [registry],
    async collect() {
      const rows = await db
        .select({ kind: accounts.kind, currency: accounts.currency, total: sql<string>`sum(${accounts.balance})` })
        .from(accounts)
        .where(inArray(accounts.kind, ['holds', 'platform_fees']))
        .groupBy(accounts.kind, accounts.currency)
        .catch(() => []);
      this.reset();
      // Both kinds for every currency in use, 0 until money moves there (a platform fee of 0 % creates no fee account).
      for (const currency of new Set(rows.map((r) => r.currency)))
        for (const kind of ['holds', 'platform_fees']) this.set({ kind, currency }, 0);
      for (const row of rows) this.set({ kind: row.kind, currency: row.currency }, Number(row.total));
    },
  });
}
