import type { Bus } from '../../shared/bus/bus.ts';
import type { Db } from '../../shared/db/database.ts';
import type { Logger } from '../../shared/observability/logger.ts';
import type { Periodic } from '../../shared/time/every.ts';
import type { RunMetrics } from './metrics.ts';
import type { AnalyticsSettings } from './settings.ts';
import type { WarehouseHandle } from './warehouse/warehouse-handle.ts';

/** What analytics' handlers depend on, built once by module.ts. */
export interface AnalyticsDeps {
  /** The module's own database: run records and the ETL lease. */
  db: Db;
  bus: Bus;
  log: Logger;
  settings: AnalyticsSettings;
  warehouse: WarehouseHandle;
  /** Where Parquet exports go (DATA_DIR/exports). */
  exportsDir: string;
  metrics: RunMetrics;
  /** Runs this process is executing. */
  running: Set<Promise<unknown>>;
  schedule?: Periodic;
}
