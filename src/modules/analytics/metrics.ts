import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../../shared/db/database.ts';
import { lastSucceededRun } from './store/run-store.ts';

export interface RunMetrics {
  runs: Counter<'outcome'>;
}

/**
 * warehouse_last_success_timestamp_seconds, warehouse_last_run_duration_seconds and
 * warehouse_last_run_rows{table} describe the last successful run, read from the run records
 * at scrape time (so every instance reports the same, whichever ran it);
 * warehouse_runs_total{outcome} counts the runs this process finished.
 */
export function registerRunMetrics(registry: Registry, db: Db): RunMetrics {
  let last: ReturnType<typeof lastSucceededRun> | undefined;
  // One read per scrape, shared by the three gauges.
  const lastRun = () => {
    last ??= lastSucceededRun(db).catch(() => undefined);
    setImmediate(() => (last = undefined));
    return last;
  };
  new Gauge({
    name: 'warehouse_last_success_timestamp_seconds',
    help: 'When the last successful warehouse ETL run finished (0: none yet)',
    registers: [registry],
    async collect() {
      const run = await lastRun();
      this.set(run?.finishedAt ? run.finishedAt.getTime() / 1000 : 0);
    },
  });
  new Gauge({
    name: 'warehouse_last_run_duration_seconds',
    help: 'How long the last successful warehouse ETL run took',
    registers: [registry],
    async collect() {
      const run = await lastRun();
      this.set((run?.durationMs ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'warehouse_last_run_rows',
    help: 'Warehouse rows the last successful ETL run loaded, per source table',
    labelNames: ['table'],
    registers: [registry],
    async collect() {
      const run = await lastRun();
      this.reset();
      for (const [table, counts] of Object.entries(run?.tables ?? {})) this.set({ table }, counts.loaded);
    },
  });
  return {
    runs: new Counter({
      name: 'warehouse_runs_total',
      help: 'Warehouse ETL runs this process finished, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
