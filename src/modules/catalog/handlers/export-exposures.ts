import { sql } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { changedIn, changeOrder, changePage, changeWindow } from '../../../shared/db/change-feed.ts';
import type { catalog } from '../contract.ts';
import { experimentExposures } from '../db/schema.ts';
import type { CatalogDeps } from '../deps.ts';
import { exposureChangeXid } from '../store/exposure-store.ts';

export const exportExposures: Handler<typeof catalog.ops.exportExposures, CatalogDeps> = async (
  input,
  { deps, caller },
) => {
  if (caller) throw platformErrors.forbidden('Only the platform itself exports experiment exposures.');
  const window = await changeWindow(deps.db, input);
  const rows = await deps.db
    .select({
      id: experimentExposures.id,
      userId: experimentExposures.userId,
      flag: experimentExposures.flag,
      variant: experimentExposures.variant,
      exposedAt: experimentExposures.exposedAt,
      changeXid: sql<string>`${exposureChangeXid}::text`,
    })
    .from(experimentExposures)
    .where(changedIn(window, exposureChangeXid, experimentExposures.id))
    .orderBy(...changeOrder(exposureChangeXid, experimentExposures.id))
    .limit(input.limit);
  return changePage(
    rows,
    window,
    input.limit,
    (r) => r.id,
    ({ changeXid: _, exposedAt, ...r }) => ({ ...r, exposedAt: exposedAt.toISOString() }),
  );
};
