import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineModule } from '../../shared/modules/define-module.ts';
import { analytics } from './contract.ts';
import type { AnalyticsDeps } from './deps.ts';
import { launchRun } from './etl/launch-run.ts';
import { every } from '../../shared/time/every.ts';
import { exportWarehouse } from './handlers/export-warehouse.ts';
import { getRun } from './handlers/get-run.ts';
import { listRuns } from './handlers/list-runs.ts';
import { experimentReport, myEarnings, rentalsReport, revenueReport, utilizationReport } from './handlers/reports.ts';
import { startRun } from './handlers/start-run.ts';
import { registerRunMetrics } from './metrics.ts';
import { analyticsSettingsFrom } from './settings.ts';
import { warehouseHandle } from './warehouse/warehouse-handle.ts';

/** How long stopping waits for a run under way (its lease lapses and the next run redoes its window otherwise). */
const STOP_GRACE_MS = 5_000;

/** The data warehouse: a star schema loaded by a periodic ETL from every module's export queries, and reports on it. */
export const analyticsModule = defineModule<typeof analytics, AnalyticsDeps>({
  contract: analytics,
  migrations: fileURLToPath(new URL('../../../migrations/analytics', import.meta.url)),
  async setup(platform) {
    const settings = analyticsSettingsFrom(process.env, platform.config.NODE_ENV === 'production');
    const { db } = await platform.database('analytics');
    return {
      db,
      bus: platform.bus,
      log: platform.log,
      settings,
      warehouse: warehouseHandle({ url: settings.warehouseUrl, dataDir: platform.config.DATA_DIR }, platform.log),
      exportsDir: join(platform.config.DATA_DIR, 'exports'),
      metrics: registerRunMetrics(platform.metrics.registry, db),
      running: new Set(),
    };
  },
  handlers: {
    startRun,
    listRuns,
    getRun,
    exportWarehouse,
    revenueReport,
    utilizationReport,
    rentalsReport,
    experimentReport,
    myEarnings,
  },
  async start(deps) {
    if (deps.settings.intervalMs === 0) return;
    // Every instance ticks; the lease lets one run at a time, the others skip.
    deps.schedule = every(
      deps.settings.intervalMs,
      async () => {
        await launchRun(deps, 'incremental', 'schedule').catch((error: { code?: string }) => {
          if (error.code !== 'analytics.runInProgress') throw error;
        });
      },
      deps.log,
      { name: 'warehouse ETL' },
    );
  },
  async stop(deps) {
    await deps.schedule?.stop();
    await Promise.race([
      Promise.allSettled([...deps.running]),
      new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS)),
    ]);
    await deps.warehouse.close();
  },
});
