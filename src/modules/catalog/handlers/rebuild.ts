import type { Handler } from '../../../shared/bus/bus.ts';
import { catalog } from '../contract.ts';
import type { CatalogDeps } from '../deps.ts';
import { claimRebuild } from '../rebuild/rebuild-lease.ts';
import { runRebuild } from '../rebuild/run-rebuild.ts';
import { requireAdmin } from './require-admin.ts';

export const rebuild: Handler<typeof catalog.ops.rebuild, CatalogDeps> = async (_input, { deps, caller, bus }) => {
  requireAdmin(caller);
  const claim = await claimRebuild(deps.db);
  if (!claim)
    throw catalog.error(
      'rebuildInProgress',
      'A rebuild is already running; follow it with GET /v1/admin/catalog/rebuild.',
    );
  const { rebuildId, startedAt } = claim;
  deps.log.info({ rebuildId }, 'catalog rebuild started');
  deps.rebuilds.start(rebuildId, (signal) =>
    runRebuild({ rebuildId, startedAt, db: deps.db, bus, log: deps.log, signal }).then(() => {}),
  );
  return { rebuildId, startedAt: startedAt.toISOString() };
};
