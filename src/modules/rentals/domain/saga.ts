/**
 * The rental saga as pure rules: its steps in order, what is left to do given what the step
 * log says, what has to be undone after a failure, and what a failure means to the renter.
 */

/**
 * Forward steps, in order. reserveItem checks the item can be rented (the period itself is held
 * by the rental's row: the exclusion constraint); markItemInUse is the handover, which waits
 * for the start of the period (or the owner's POST /handover) before the rental becomes active.
 */
export const forwardSteps = ['reserveItem', 'authorizePayment', 'confirmRental', 'markItemInUse'] as const;
export type ForwardStep = (typeof forwardSteps)[number];

/** Compensations, in the order they run: void the hold (a full refund), then cancel the rental (which frees its period). */
export const compensationSteps = ['voidAuthorization', 'cancelRental'] as const;
export type CompensationStep = (typeof compensationSteps)[number];

export type StepStatus = 'started' | 'waiting' | 'succeeded' | 'failed' | 'skipped';

/** A step as the log has it. errorKind is the kind of the error a failed step ended with. */
export interface StepRecord {
  name: string;
  status: StepStatus;
  errorKind: string | null;
}

export type StepLog = ReadonlyMap<string, StepRecord>;

/** Kinds of error that mean "no answer" rather than "no": the call may have taken effect. */
const NO_ANSWER = new Set(['timeout', 'unavailable', 'internal']);

/** Whether an error of this kind leaves the step's effect unknown (and the call worth retrying). */
export function isNoAnswer(kind: string | null | undefined): boolean {
  return kind === null || kind === undefined || NO_ANSWER.has(kind);
}

/** Whether a step may have taken effect: it ran, is running, or failed without a clear "no". */
export function mayHaveTakenEffect(record: StepRecord | undefined): boolean {
  if (!record) return false;
  if (record.status === 'started' || record.status === 'waiting' || record.status === 'succeeded') return true;
  return record.status === 'failed' && isNoAnswer(record.errorKind);
}

export type ForwardPlan = { kind: 'run'; step: ForwardStep } | { kind: 'done' } | { kind: 'compensate' };

/**
 * The next forward step: the first not yet succeeded. A started or waiting one is run again
 * (every step is idempotent), and so is one whose last attempt got no answer; a clear "no"
 * means undo.
 */
export function planForward(log: StepLog): ForwardPlan {
  for (const step of forwardSteps) {
    const record = log.get(step);
    if (!record || record.status === 'started' || record.status === 'waiting') return { kind: 'run', step };
    if (record.status === 'failed')
      return isNoAnswer(record.errorKind) ? { kind: 'run', step } : { kind: 'compensate' };
  }
  return { kind: 'done' };
}

/**
 * What is left to undo, in order: void the hold if the payment step may have held money, then
 * cancel the rental (always; that frees its period). Compensations that already succeeded are
 * not repeated.
 */
export function planCompensation(log: StepLog): CompensationStep[] {
  const needed: CompensationStep[] = [];
  if (mayHaveTakenEffect(log.get('authorizePayment'))) needed.push('voidAuthorization');
  needed.push('cancelRental');
  return needed.filter((step) => log.get(step)?.status !== 'succeeded' && log.get(step)?.status !== 'skipped');
}

/** The rentals error a renter gets when a step fails. */
export type FailureCode =
  | 'itemNotFound'
  | 'itemUnavailable'
  | 'itemUnlisted'
  | 'insufficientFunds'
  | 'paymentRejected'
  | 'rentalFailed';

/** What a step's failure means to the renter, from the failing step and the error's code and kind. */
export function failureOf(step: ForwardStep, error: { code: string; kind: string }): FailureCode {
  if (isNoAnswer(error.kind)) return 'rentalFailed';
  if (error.code === 'inventory.itemNotFound') return 'itemNotFound';
  if (error.code === 'inventory.itemUnlisted') return 'itemUnlisted';
  if (step === 'reserveItem' || step === 'markItemInUse')
    return error.code.startsWith('inventory.') ? 'itemUnavailable' : 'rentalFailed';
  if (step === 'authorizePayment')
    return error.code === 'payments.insufficientFunds'
      ? 'insufficientFunds'
      : error.code.startsWith('payments.')
        ? 'paymentRejected'
        : 'rentalFailed';
  return 'rentalFailed';
}

/** The payments idempotency key of a saga step: the same on every attempt, so a repeat never moves money twice. */
export function operationIdOf(rentalId: string, step: 'authorize' | 'void' | 'capture'): string {
  return `rental-${rentalId}:${step}`;
}

/** Statuses in which a rental holds its item and its period (the exclusion constraint's set). */
export const HOLDING_STATUSES = ['requested', 'confirmed', 'active', 'compensating'] as const;

/** Statuses in which a saga still has work to do (a driver or recovery owes it progress). */
export const UNFINISHED_STATUSES = ['requested', 'confirmed', 'compensating'] as const;
