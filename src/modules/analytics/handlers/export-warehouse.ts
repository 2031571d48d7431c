import { join, resolve } from 'node:path';
import type { Handler } from '../../../shared/bus/bus.ts';
import type { analytics } from '../contract.ts';
import type { AnalyticsDeps } from '../deps.ts';
import { exportedTables } from '../warehouse/schema.ts';
import { requireAdmin } from '../domain/require-admin.ts';

export const exportWarehouse: Handler<typeof analytics.ops.exportWarehouse, AnalyticsDeps> = async (
  _input,
  { deps, caller },
) => {
  requireAdmin(caller);
  const warehouse = await deps.warehouse.get();
  // A fresh directory per export, under the server's own data directory: callers choose no path.
  const directory = resolve(join(deps.exportsDir, new Date().toISOString().replaceAll(':', '-')));
  await warehouse.exportParquet(directory, exportedTables);
  return { directory, tables: exportedTables.map((t) => ({ name: t.name, partitionBy: t.partitionBy ?? null })) };
};
