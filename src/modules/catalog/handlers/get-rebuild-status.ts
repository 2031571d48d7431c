import { eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Handler } from '../../../shared/bus/bus.ts';
import type { catalog } from '../contract.ts';
import { projection } from '../db/schema.ts';
import type { CatalogDeps } from '../deps.ts';
import { requireAdmin } from './require-admin.ts';

type Status = z.output<typeof catalog.ops.getRebuildStatus.output>;

export const getRebuildStatus: Handler<typeof catalog.ops.getRebuildStatus, CatalogDeps> = async (
  _input,
  { deps, caller },
) => {
  requireAdmin(caller);
  const [row] = await deps.db
    .select({
      generation: projection.generation,
      lastEventAt: projection.lastEventAt,
      rebuildId: projection.rebuildId,
      live: sql<boolean>`coalesce(${projection.rebuildLeaseUntil} > now(), false)`,
      startedAt: projection.rebuildStartedAt,
      progress: projection.rebuildProgress,
      last: projection.lastRebuild,
    })
    .from(projection)
    .where(eq(projection.id, 1));
  if (!row) throw new Error('catalog.projection has no state row; migrations did not run');
  const progress = row.progress as Omit<NonNullable<Status['running']>, 'rebuildId' | 'startedAt'> | null;
  return {
    generation: row.generation,
    lastEventAt: row.lastEventAt?.toISOString() ?? null,
    lagSeconds: row.lastEventAt ? Math.max(0, (Date.now() - row.lastEventAt.getTime()) / 1000) : null,
    running:
      row.rebuildId && row.live && row.startedAt && progress
        ? { rebuildId: row.rebuildId, startedAt: row.startedAt.toISOString(), ...progress }
        : null,
    last: (row.last as Status['last']) ?? null,
  };
};
