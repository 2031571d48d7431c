import type { AnalyticsDeps } from '../deps.ts';
import { analytics } from '../contract.ts';
import { claimRun, finishRun, RunLost, type RunMode, type RunRow } from '../store/run-store.ts';
import { runEtl } from './run-etl.ts';

/**
 * Claims the ETL lease and starts a run in the background; resolves to its record as
 * claimed (status running). Refused while another run holds the lease.
 */
export async function launchRun(deps: AnalyticsDeps, mode: RunMode, trigger: RunRow['trigger']): Promise<RunRow> {
  const warehouse = await deps.warehouse.get();
  const run = await claimRun(deps.db, { mode, engine: warehouse.engine, trigger, leaseMs: deps.settings.leaseMs });
  if (!run)
    throw analytics.error(
      'runInProgress',
      'Another warehouse run holds the lease; follow it with GET /v1/admin/warehouse/runs.',
    );
  deps.log.info({ runId: run.id, mode, trigger }, 'warehouse run started');
  const { settings } = deps;
  const work = runEtl({
    run,
    warehouse,
    bus: deps.bus,
    db: deps.db,
    log: deps.log,
    pageSize: settings.pageSize,
    leaseMs: settings.leaseMs,
    killAfterPages: settings.killAfterPages,
  })
    .then(async (tables) => {
      await finishRun(deps.db, run.id, { status: 'succeeded', tables });
      deps.metrics.runs.inc({ outcome: 'succeeded' });
      deps.log.info({ runId: run.id, tables }, 'warehouse run succeeded');
    })
    .catch(async (error: Error) => {
      deps.metrics.runs.inc({ outcome: error instanceof RunLost ? 'lost' : 'failed' });
      deps.log.error({ runId: run.id, err: error.message }, 'warehouse run failed');
      if (!(error instanceof RunLost))
        await finishRun(deps.db, run.id, { status: 'failed', tables: {}, error: error.message }).catch(() => {});
    })
    .finally(() => deps.running.delete(work));
  deps.running.add(work);
  return run;
}
