import {
  DelegateBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  type RetryPolicy,
} from 'cockatiel';

/** How a backoffRetry retries. */
export interface BackoffRetryOptions {
  /** Which failures are worth another attempt. */
  handle: (error: Error) => boolean;
  /** Attempts in all, the first included (unbounded by default: the deadline ends it). */
  attempts?: number;
  /** The first wait; each next one doubles, up to maxMs. */
  initialMs: number;
  maxMs: number;
  /** No attempt starts and no wait runs past it (epoch ms). */
  deadline: number;
}

/**
 * A cockatiel retry policy with exponential backoff that never waits past a deadline: the
 * retry, backoff and deadline vocabulary of the saga runner and the two-phase coordinator.
 */
export function backoffRetry({
  handle,
  attempts = Number.POSITIVE_INFINITY,
  initialMs,
  maxMs,
  deadline,
}: BackoffRetryOptions): RetryPolicy {
  return retry(
    handleWhen((error) => handle(error) && Date.now() < deadline),
    {
      maxAttempts: attempts - 1,
      backoff: new DelegateBackoff<{ attempt: number }>(({ attempt }) =>
        Math.max(0, Math.min(maxMs, initialMs * 2 ** (attempt - 1), deadline - Date.now())),
      ),
    },
  );
}

/**
 * Runs call within ms (a cockatiel timeout). A call still running then is not stopped: it is
 * handed to late(), which says what to throw instead, so the caller can wait for it before
 * undoing anything it may still do.
 */
export async function within<T>(ms: number, call: () => Promise<T>, late: (attempt: Promise<T>) => Error): Promise<T> {
  let attempt: Promise<T> | undefined;
  try {
    return await timeout(ms, TimeoutStrategy.Aggressive).execute(() => {
      attempt = Promise.resolve().then(call);
      return attempt;
    });
  } catch (error) {
    if (error instanceof TaskCancelledError && attempt) throw late(attempt);
    throw error;
  }
}
