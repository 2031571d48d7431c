import { AppError } from '../../../shared/bus/errors.ts';
import type { Logger } from '../../../shared/observability/logger.ts';
import type { RentalsSettings } from '../settings.ts';

/**
 * Points of a rental's life where tests inject faults: `before:<step>` and `after:<step>`
 * around each saga step's call, `settle:after-prepares` (every participant voted yes, no
 * decision logged) and `settle:after-decision` (commit logged, nothing committed yet) of a
 * two-phase settlement, and `settle:before-commit` (every share written, the one local
 * transaction not committed) of a one-phase settlement.
 */
export type FaultPoint =
  | `before:${string}`
  | `after:${string}`
  | 'settle:after-prepares'
  | 'settle:after-decision'
  | 'settle:before-commit';

/** What a fault point knows about the rental it is reached for. */
export interface FaultTarget {
  id: string;
  itemId: string;
  renterId: string;
}

/** Test hooks around saga steps: may throw (a failed step), wait (a slow one) or end the process (a crash). */
export interface SagaFaults {
  at(point: FaultPoint, rental: FaultTarget): Promise<void>;
}

export const noFaults: SagaFaults = { at: async () => {} };

/** An injected failure: a clear "no" from a step, so the saga is undone. */
export function injectedFailure(point: string): AppError {
  return new AppError('rentals.injectedFailure', 'unprocessable', `A test fault was injected at ${point}.`);
}

/**
 * The faults RENTALS_FAIL_STEP (fail that step before its call) and RENTALS_CRASH_AT (SIGKILL
 * this process at that point) ask for; none in production.
 */
export function faultsFromSettings(settings: RentalsSettings, production: boolean, log: Logger): SagaFaults {
  const { failStep, crashAt } = settings;
  if (!failStep && !crashAt) return noFaults;
  if (production) {
    log.warn(
      { failStep, crashAt },
      'RENTALS_FAIL_STEP / RENTALS_CRASH_AT are test hooks and are ignored in production',
    );
    return noFaults;
  }
  log.warn({ failStep, crashAt }, 'rentals test faults are active');
  return {
    async at(point) {
      if (crashAt === point) {
        process.stdout.write(`${JSON.stringify({ crashing: point, pid: process.pid })}\n`);
        process.kill(process.pid, 'SIGKILL');
        await new Promise(() => {});
      }
      if (failStep && point === `before:${failStep}`) throw injectedFailure(point);
    },
  };
}
