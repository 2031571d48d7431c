import type { Handler } from '../../../shared/bus/bus.ts';
import type { analytics } from '../contract.ts';
import type { AnalyticsDeps } from '../deps.ts';
import { latestRuns } from '../store/run-store.ts';
import { toRunView } from '../views.ts';
import { requireAdmin } from '../domain/require-admin.ts';

export const listRuns: Handler<typeof analytics.ops.listRuns, AnalyticsDeps> = async (input, { deps, caller }) => {
  requireAdmin(caller);
  return { runs: (await latestRuns(deps.db, input.limit)).map(toRunView) };
};
