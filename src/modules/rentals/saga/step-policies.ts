import type { RetryPolicy } from 'cockatiel';
import { AppError } from '../../../shared/bus/errors.ts';
import { backoffRetry, within } from '../../../shared/resilience/bounded.ts';

/** A step's call that got no answer (timed out, unavailable, crashed): it may be run again. */
export class NoAnswer extends Error {
  constructor(cause: unknown) {
    super('no answer', { cause });
  }
}

/**
 * Retries of a saga step whose attempt threw NoAnswer, waiting 100, 200, 400 ms … up to 2 s
 * between them, never past the drive's end: at most `attempts` attempts in all for a forward
 * step, until the drive's end for a compensation (undoing has to happen).
 */
export function stepRetry(attempts: number, giveUpAt: number): RetryPolicy {
  return backoffRetry({
    handle: (error) => error instanceof NoAnswer,
    attempts,
    initialMs: 100,
    maxMs: 2_000,
    deadline: giveUpAt,
  });
}

/**
 * Runs a step's call within its timeout. A call still running at the timeout is handed to
 * late(), so nothing is undone under it, and the step fails with rentals.stepTimedOut.
 */
export function withinTimeout<T>(
  what: string,
  ms: number,
  call: () => Promise<T>,
  late: (attempt: Promise<T>) => void,
): Promise<T> {
  return within(ms, call, (attempt) => {
    late(attempt);
    return new AppError('rentals.stepTimedOut', 'timeout', `${what} did not finish within ${ms} ms.`);
  });
}

/** Waits for calls abandoned at their timeout to settle, for at most ms. */
export async function settleWithin(ms: number, calls: Iterable<Promise<unknown>>): Promise<void> {
  await within(
    ms,
    () => Promise.allSettled([...calls]),
    () => new Error('still running'),
  ).catch(() => {});
}
