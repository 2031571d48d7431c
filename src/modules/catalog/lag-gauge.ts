import { Gauge, type Registry } from 'prom-client';

/**
 * catalog_projection_lag_seconds: how far the read model is behind the write side, i.e. the age
 * of the oldest event its consumers have yet to apply; 0 when caught up, so it stays 0 while idle.
 */
export function registerLagGauge(registry: Registry, pendingAge: () => Promise<number>): Gauge {
  return new Gauge({
    name: 'catalog_projection_lag_seconds',
    help: 'Age of the oldest event not yet applied to the catalog read model (0 when caught up)',
    registers: [registry],
    async collect() {
      this.set(await pendingAge().catch(() => 0));
    },
  });
}
