import type { Logger } from '../../../shared/observability/logger.ts';
import { analytics } from '../contract.ts';
import { openWarehouse, type WarehouseLocation } from './open-warehouse.ts';
import type { Warehouse } from './port.ts';

/** The warehouse, opened on first use (a process that never runs or reports never locks the DuckDB file). */
export interface WarehouseHandle {
  engine: Warehouse['engine'];
  get(): Promise<Warehouse>;
  close(): Promise<void>;
}

export function warehouseHandle(location: WarehouseLocation, log: Logger): WarehouseHandle {
  let opening: Promise<Warehouse> | undefined;
  return {
    engine: location.url ? 'postgres' : 'duckdb',
    get() {
      opening ??= openWarehouse(location).then(
        (warehouse) => {
          log.info({ warehouse: warehouse.label }, 'warehouse open');
          return warehouse;
        },
        (error: Error) => {
          opening = undefined;
          log.warn({ err: error.message }, 'warehouse unavailable');
          // DuckDB allows one process per file: a CLI or another server may hold it.
          throw analytics.error(
            'warehouseUnavailable',
            'The warehouse cannot be opened now (another process may hold it); retry shortly.',
          );
        },
      );
      return opening;
    },
    async close() {
      const open = opening;
      opening = undefined;
      await open?.then((w) => w.close()).catch(() => {});
    },
  };
}
