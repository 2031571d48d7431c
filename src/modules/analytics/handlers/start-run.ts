import type { Handler } from '../../../shared/bus/bus.ts';
import type { analytics } from '../contract.ts';
import type { AnalyticsDeps } from '../deps.ts';
import { launchRun } from '../etl/launch-run.ts';
import { toRunView } from '../views.ts';
import { requireAdmin } from '../domain/require-admin.ts';

export const startRun: Handler<typeof analytics.ops.startRun, AnalyticsDeps> = async (input, { deps, caller }) => {
  requireAdmin(caller);
  return toRunView(await launchRun(deps, input.mode, input.trigger));
};
