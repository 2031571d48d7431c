import { eq } from 'drizzle-orm';
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../../shared/db/database.ts';
import { projection } from './db/schema.ts';

/**
 * catalog_projection_lag_seconds: now minus when the newest applied event happened, read from
 * the projection at scrape time (so every instance reports the shared read model's lag). It
 * also grows while no event happens at all: alert on it together with the sources' activity.
 */
export function registerLagGauge(registry: Registry, db: Db): Gauge {
  return new Gauge({
    name: 'catalog_projection_lag_seconds',
    help: 'Seconds since the occurredAt of the newest event applied to the catalog read model',
    registers: [registry],
    async collect() {
      const [row] = await db
        .select({ lastEventAt: projection.lastEventAt })
        .from(projection)
        .where(eq(projection.id, 1))
        .catch(() => []);
      this.set(row?.lastEventAt ? Math.max(0, (Date.now() - row.lastEventAt.getTime()) / 1000) : 0);
    },
  });
}
