import { z } from 'zod';
import { envSettings } from '../../shared/config/env-settings.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A duration: 15m, 900s, 1h, 500ms; a bare number is seconds; 0 is off. */
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)?$/, 'must be a duration such as 15m, 900s or 0')
  .transform((v) => {
    const [, n, unit] = /^(\d+)(ms|s|m|h)?$/.exec(v)!;
    return Number(n) * UNITS[unit ?? 's']!;
  });

/** The analytics module's own settings, from the environment (all optional). */
const settingsSchema = z.object({
  // PostgreSQL warehouse (its own database); without it, embedded DuckDB in DATA_DIR/warehouse.duckdb.
  WAREHOUSE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  // How often one instance runs an incremental ETL; 0 turns the schedule off.
  WAREHOUSE_ETL_INTERVAL: duration.default(15 * 60_000),
  // How long a run may go without renewing its lease before another instance may take over.
  WAREHOUSE_RUN_LEASE_MS: z.coerce.number().int().min(500).max(3_600_000).default(60_000),
  // Rows per export page.
  WAREHOUSE_PAGE_SIZE: z.coerce.number().int().min(1).max(5_000).default(1_000),
  // Test hook, ignored in production: the process SIGKILLs itself after loading this many pages of a run.
  WAREHOUSE_KILL_AFTER_PAGES: z.coerce.number().int().min(1).optional(),
});

export interface AnalyticsSettings {
  warehouseUrl: string | undefined;
  intervalMs: number;
  leaseMs: number;
  pageSize: number;
  killAfterPages: number | undefined;
}

/** Reads the settings; throws one line naming the first bad variable. */
export function analyticsSettingsFrom(env: Record<string, string | undefined>, production: boolean): AnalyticsSettings {
  const s = envSettings(settingsSchema, env, 'WAREHOUSE_');
  return {
    warehouseUrl: s.WAREHOUSE_URL,
    intervalMs: s.WAREHOUSE_ETL_INTERVAL,
    leaseMs: s.WAREHOUSE_RUN_LEASE_MS,
    pageSize: s.WAREHOUSE_PAGE_SIZE,
    killAfterPages: production ? undefined : s.WAREHOUSE_KILL_AFTER_PAGES,
  };
}
