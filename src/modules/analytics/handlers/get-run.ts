import type { Handler } from '../../../shared/bus/bus.ts';
import { analytics } from '../contract.ts';
import type { AnalyticsDeps } from '../deps.ts';
import { findRun, toRunView } from '../etl/run-store.ts';
import { requireAdmin } from './require-admin.ts';

export const getRun: Handler<typeof analytics.ops.getRun, AnalyticsDeps> = async (input, { deps, caller }) => {
  requireAdmin(caller);
  const run = await findRun(deps.db, input.id);
  if (!run) throw analytics.error('runNotFound', `No warehouse run ${input.id}.`);
  return toRunView(run);
};
