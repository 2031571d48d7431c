import { randomUUID } from 'node:crypto';
import { every } from '../../../shared/time/every.ts';
import { childSpan } from '../../../shared/observability/trace.ts';
import type { RentalsDeps } from '../deps.ts';
import { settlementRecovery } from '../settlement/settlement.ts';
import { driveSaga } from './run-saga.ts';
import { claimLease } from './saga-store.ts';
import { LEASE_RELEASED_CHANNEL, watchLeases } from './lease-watch.ts';

/**
 * Resumes every saga left unfinished whose lease ran out (its process died or gave it back):
 * forward while no step failed, else the compensations. Returns how many it took over, and in
 * how many ms the first lease still held runs out (when recovery should look again).
 */
export async function resumeSagas(
  deps: RentalsDeps,
  limit = 50,
): Promise<{ resumed: number; nextExpiryInMs: number | undefined }> {
  const { settings } = deps;
  const watch = await watchLeases(deps.db, limit, deps.running);
  const stalled = watch.stalled.filter((id) => !deps.running.has(id));
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
  return {
    resumed: drives.filter((d) => d.status === 'fulfilled' && d.value).length,
    nextExpiryInMs: watch.nextExpiryInMs,
  };
}

/** Past a lease's end before recovery looks, so the database sees it run out. */
const EXPIRY_MARGIN_MS = 50;

/**
 * The recovery worker, on every(): resumes interrupted sagas at start, when a lease known to be
 * held runs out, when a process gives a lease back (NOTIFY), and at least every
 * recoveryIntervalMs while sagas are unfinished. With none unfinished it waits a lease's length
 * (a saga started meanwhile cannot stall sooner) or recoveryIntervalMs, whichever is longer.
 * Every twoPhaseRecoveryMs it finishes settlements (coordinator recovery, orphans, pruning).
 * Returns its stop function.
 */
export function startRecovery(deps: RentalsDeps): () => Promise<void> {
  const { settings, log } = deps;
  const sagas = every(
    Math.max(settings.recoveryIntervalMs, settings.leaseMs),
    async () => {
      try {
        const { nextExpiryInMs } = await resumeSagas(deps);
        return nextExpiryInMs === undefined
          ? undefined
          : Math.min(settings.recoveryIntervalMs, nextExpiryInMs + EXPIRY_MARGIN_MS);
      } catch (error) {
        log.warn({ err: (error as Error).message }, 'rental saga recovery failed; retrying');
        return settings.recoveryIntervalMs;
      }
    },
    log,
    { name: 'rental saga recovery', immediately: true },
  );
  const settlements = every(
    settings.twoPhaseRecoveryMs,
    settlementRecovery(deps.settlement, deps.db, settings, log),
    log,
    { name: 'settlement recovery', immediately: true },
  );
  const unlisten = deps
    .listen(LEASE_RELEASED_CHANNEL, () => sagas.wake())
    .catch((error: unknown) => {
      log.warn({ err: (error as Error).message }, 'cannot LISTEN for released saga leases; recovery polls');
      return undefined;
    });
  return async () => {
    await (await unlisten)?.().catch(() => {});
    await Promise.all([sagas.stop(), settlements.stop()]);
  };
}
