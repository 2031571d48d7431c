/** Why a hop to an instance failed, as opposed to the callee answering with a contract error. */
export const HOP_FAILURE_REASONS = ['connect', 'timeout', 'reset', 'status', 'draining', 'no_instance'] as const;
export type HopFailureReason = (typeof HOP_FAILURE_REASONS)[number];

/**
 * An infrastructure failure of one attempt. `sent` says whether the callee may have run the
 * call: only unsent attempts, or idempotent ops, are safe to retry on another instance.
 */
export class HopFailure extends Error {
  constructor(
    readonly reason: HopFailureReason,
    readonly target: string,
    readonly sent: boolean,
    message: string,
  ) {
    super(message);
    this.name = 'HopFailure';
  }
}

/** Errors from undici/node that mean the request never reached the callee. */
const UNSENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Classifies a network error thrown by the HTTP client. */
export function hopFailureOf(error: unknown, target: string): HopFailure {
  if (error instanceof HopFailure) return error;
  const code =
    (error as { code?: string; cause?: { code?: string } })?.code ??
    (error as { cause?: { code?: string } })?.cause?.code;
  if (code && UNSENT_CODES.has(code))
    return new HopFailure('connect', target, false, `cannot connect to ${target} (${code})`);
  const name = (error as { isTaskCancelledError?: boolean })?.isTaskCancelledError
    ? 'TaskCancelledError'
    : (error as { name?: string })?.name; // cockatiel's timeout error keeps name 'Error'
  if (
    name === 'AbortError' ||
    name === 'TaskCancelledError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return new HopFailure('timeout', target, true, `${target} did not answer in time`);
  }
  return new HopFailure('reset', target, true, `${target} failed: ${code ?? name ?? 'unknown error'}`);
}
