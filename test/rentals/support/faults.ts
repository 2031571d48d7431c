/** Saga faults a test plans per renter (or per item): fail a step, or lose its answer. */
import { injectedFailure, type FaultPoint, type SagaFaults } from '../../../src/modules/rentals/saga/faults.ts';
import { AppError } from '../../../src/shared/bus/errors.ts';

export interface PlannedFault {
  point: FaultPoint;
  /**
   * fail: a clear "no" (before a step: nothing happened). noAnswer: a timeout-like error (after
   * a step: it did happen). delay: the step goes on after delayMs (a slow step).
   */
  effect: 'fail' | 'noAnswer' | 'delay';
  delayMs?: number;
  /** How many times it fires (default: every time). */
  times?: number;
}

export interface FaultPlan extends SagaFaults {
  /** Faults for the rentals of a renter or of an item. */
  plan(key: string, faults: PlannedFault[]): void;
}

export function faultPlan(): FaultPlan {
  const plans = new Map<string, PlannedFault[]>();
  return {
    plan(key, faults) {
      plans.set(
        key,
        faults.map((f) => ({ ...f })),
      );
    },
    async at(point, rental) {
      const planned = [...(plans.get(rental.renterId) ?? []), ...(plans.get(rental.itemId) ?? [])];
      const fault = planned.find((f) => f.point === point && (f.times === undefined || f.times > 0));
      if (!fault) return;
      if (fault.times !== undefined) fault.times--;
      if (fault.effect === 'delay') return new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1_000));
      if (fault.effect === 'fail') throw injectedFailure(point);
      throw new AppError('rentals.injectedNoAnswer', 'timeout', `A test fault lost the answer at ${point}.`);
    },
  };
}
