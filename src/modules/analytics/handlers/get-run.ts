import type { Handler } from '../../../shared/bus/bus.ts';
import { analytics } from '../contract.ts';
import type { AnalyticsDeps } from '../deps.ts';
import { findRun } from '../store/run-store.ts';
import { toRunView } from '../views.ts';
import { requireAdmin } from '../domain/require-admin.ts';

export const getRun: Handler<typeof analytics.ops.getRun, AnalyticsDeps> = async (input, { deps, caller }) => {
  requireAdmin(caller);
  const run = await findRun(deps.db, input.id);
  if (!run) throw analytics.error('runNotFound', `No warehouse run ${input.id}.`);
  return toRunView(run);
};
