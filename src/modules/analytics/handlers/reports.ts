import type { Handler } from '../../../shared/bus/bus.ts';
import { analytics } from '../contract.ts';
import type { AnalyticsDeps } from '../deps.ts';
import { reportPeriod, type ReportPeriod } from '../domain/report-period.ts';
import { experimentOutcomes, ownerEarnings, rentalsPerDay, revenue, utilization } from '../reports/report-queries.ts';
import { requireAdmin } from '../domain/require-admin.ts';

function periodOf(input: { from?: string | undefined; to?: string | undefined }): ReportPeriod {
  const period = reportPeriod(input);
  if ('invalid' in period) throw analytics.error('invalidPeriod', period.invalid);
  return period;
}

export const revenueReport: Handler<typeof analytics.ops.revenueReport, AnalyticsDeps> = async (
  input,
  { deps, caller },
) => {
  requireAdmin(caller);
  const period = periodOf(input);
  return { period, groupBy: input.groupBy, rows: await revenue(await deps.warehouse.get(), period, input.groupBy) };
};

export const utilizationReport: Handler<typeof analytics.ops.utilizationReport, AnalyticsDeps> = async (
  input,
  { deps, caller },
) => {
  requireAdmin(caller);
  const period = periodOf(input);
  return { period, groupBy: input.groupBy, rows: await utilization(await deps.warehouse.get(), period, input.groupBy) };
};

export const rentalsReport: Handler<typeof analytics.ops.rentalsReport, AnalyticsDeps> = async (
  input,
  { deps, caller },
) => {
  requireAdmin(caller);
  const period = periodOf(input);
  return { period, rows: await rentalsPerDay(await deps.warehouse.get(), period) };
};

export const myEarnings: Handler<typeof analytics.ops.myEarnings, AnalyticsDeps> = async (input, { deps, caller }) => {
  if (!caller) throw analytics.error('notAdmin', 'Earnings are an owner’s own: sign in.');
  const period = periodOf(input);
  return { period, ...(await ownerEarnings(await deps.warehouse.get(), period, caller.userId)) };
};

export const experimentReport: Handler<typeof analytics.ops.experimentReport, AnalyticsDeps> = async (
  input,
  { deps, caller },
) => {
  requireAdmin(caller);
  return { flag: input.flag, variants: await experimentOutcomes(await deps.warehouse.get(), input.flag) };
};
