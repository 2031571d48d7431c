import {
  DelegateBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  type RetryPolicy,
} from 'cockatiel';
import { AppError } from '../../../shared/bus/errors.ts';

/** A step's call that got no answer (timed out, unavailable, crashed): it may be run again. */
export class NoAnswer extends Error {
  constructor(cause: unknown) {
    super('no answer', { cause });
  }
}

/** Backoff between a step's attempts: 100, 200, 400 ms … up to 2 s, never past the drive's end. */
function stepBackoff(giveUpAt: number) {
  return new DelegateBackoff<{ attempt: number }>(({ attempt }) =>
    Math.max(0, Math.min(2_000, 50 * 2 ** attempt, giveUpAt - Date.now())),
  );
}

/**
 * Retries of a saga step whose attempt threw NoAnswer: at most `attempts` attempts in all for
 * a forward step, until the drive's end for a compensation (undoing has to happen).
 */
export function stepRetry(attempts: number, giveUpAt: number): RetryPolicy {
  return retry(
    handleWhen((error) => error instanceof NoAnswer),
    { maxAttempts: attempts - 1, backoff: stepBackoff(giveUpAt) },
  );
}

/**
 * Runs a step's call within its timeout. A call still running at the timeout is handed to
 * late(), so nothing is undone under it, and the step fails with rentals.stepTimedOut.
 */
export async function withinTimeout<T>(
  what: string,
  ms: number,
  call: () => Promise<T>,
  late: (attempt: Promise<T>) => void,
): Promise<T> {
  let attempt: Promise<T> | undefined;
  try {
    return await timeout(ms, TimeoutStrategy.Aggressive).execute(() => {
      attempt = Promise.resolve().then(call);
      return attempt;
    });
  } catch (error) {
    if (!(error instanceof TaskCancelledError) || !attempt) throw error;
    late(attempt);
    throw new AppError('rentals.stepTimedOut', 'timeout', `${what} did not finish within ${ms} ms.`);
  }
}

/** Waits for calls abandoned at their timeout to settle, for at most ms. */
export async function settleWithin(ms: number, calls: Iterable<Promise<unknown>>): Promise<void> {
  await timeout(ms, TimeoutStrategy.Aggressive)
    .execute(() => Promise.allSettled([...calls]))
    .catch(() => {});
}
