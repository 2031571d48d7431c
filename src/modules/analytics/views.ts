import type { z } from 'zod';
import type { warehouseRunSchema } from './contract.ts';
import type { RunRow } from './store/run-store.ts';

export type RunView = z.output<typeof warehouseRunSchema>;

/** The contract's view of a run. */
export function toRunView(row: RunRow): RunView {
  return {
    id: row.id,
    mode: row.mode,
    engine: row.engine,
    status: row.status,
    trigger: row.trigger,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    durationMs: row.durationMs,
    window: { from: row.windowFrom?.toISOString() ?? null, to: row.startedAt.toISOString() },
    tables: row.tables,
    error: row.error,
  };
}
