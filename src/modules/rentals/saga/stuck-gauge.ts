import { inArray, min } from 'drizzle-orm';
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../../../shared/db/database.ts';
import { rentalsTable } from '../db/schema.ts';
import { UNFINISHED_STATUSES } from '../domain/saga.ts';

/** rentals_saga_oldest_unfinished_age_seconds: how long the oldest saga still owed progress has waited (0 when none). */
export function registerStuckSagaGauge(registry: Registry, db: Db): Gauge {
  return new Gauge({
    name: 'rentals_saga_oldest_unfinished_age_seconds',
    help: 'Seconds since the oldest unfinished rental saga last changed (0 when every saga is finished)',
    registers: [registry],
    async collect() {
      const [row] = await db
        .select({ oldest: min(rentalsTable.updatedAt) })
        .from(rentalsTable)
        .where(inArray(rentalsTable.status, [...UNFINISHED_STATUSES]))
        .catch(() => []);
      const oldest = row?.oldest ? new Date(row.oldest).getTime() : undefined;
      this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
    },
  });
}
