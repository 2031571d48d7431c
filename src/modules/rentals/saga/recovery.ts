import { randomUUID } from 'node:crypto';
import { childSpan } from '../../../shared/observability/trace.ts';
import type { RentalsDeps } from '../deps.ts';
import { settlementRecovery } from '../settlement/settlement.ts';
import { driveSaga } from './run-saga.ts';
import { claimLease, findStalled } from './saga-store.ts';

/**
 * Resumes every saga left unfinished whose lease ran out (its process died or gave it back):
 * forward while no step failed, else the compensations. Returns how many it took over.
 */
export async function resumeSagas(deps: RentalsDeps, limit = 50): Promise<number> {
  const { settings } = deps;
  const stalled = (await findStalled(deps.db, limit)).filter((id) => !deps.running.has(id));
  const drives = await Promise.allSettled(
    stalled.map(async (rentalId) => {
      const token = randomUUID();
      if (!(await claimLease(deps.db, rentalId, token, settings.leaseMs))) return false;
      deps.log.info({ rentalId }, 'resuming an interrupted rental saga');
      await driveSaga({
        deps,
        bus: deps.bus,
        lease: { rentalId, token, ms: settings.leaseMs },
        origin: { requestId: `recovery-${randomUUID()}`, trace: childSpan() },
        giveUpAt: Date.now() + Math.max(settings.leaseMs, 4 * settings.stepTimeoutMs),
      });
      return true;
    }),
  );
  return drives.filter((d) => d.status === 'fulfilled' && d.value).length;
}

/**
 * The recovery worker: at start and then every recoveryIntervalMs, resumes interrupted sagas;
 * every twoPhaseRecoveryMs, finishes settlements (coordinator recovery, orphans, pruning).
 * Returns its stop function.
 */
export function startRecovery(deps: RentalsDeps): () => Promise<void> {
  const { settings, log } = deps;
  const recoverSettlements = settlementRecovery(deps.settlement, deps.db, settings, log);
  let lastSettlement = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const tick = async () => {
    try {
      await resumeSagas(deps);
    } catch (error) {
      log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'rental saga recovery failed; retrying',
      );
    }
    if (Date.now() - lastSettlement >= settings.twoPhaseRecoveryMs) {
      lastSettlement = Date.now();
      try {
        await recoverSettlements();
      } catch (error) {
        log.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'settlement recovery failed; retrying',
        );
      }
    }
  };
  const loop = () => {
    current = tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, settings.recoveryIntervalMs);
    });
  };
  loop();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await current;
  };
}
