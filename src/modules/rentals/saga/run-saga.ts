import { randomUUID } from 'node:crypto';
import type { Bus } from '../../../shared/bus/bus.ts';
import type { CallContext } from '../../../shared/bus/context.ts';
import { AppError } from '../../../shared/bus/errors.ts';
import type { Tx } from '../../../shared/db/database.ts';
import { childSpan, type TraceContext } from '../../../shared/observability/trace.ts';
import { rentals } from '../contract.ts';
import type { RentalsDeps } from '../deps.ts';
import { failureOf, isNoAnswer, planCompensation, planForward, type CompensationStep, type ForwardStep } from '../domain/saga.ts';
import { rentalFactsOf } from '../handlers/rental-view.ts';
import { beginStep, claimLease, finishStep, LeaseLost, loadRental, loadSteps, releaseLease, stepLogOf, updateRental, type Lease, type RentalRow, type StepOutcome } from './saga-store.ts';
import * as steps from './steps.ts';

/** One drive of one saga by this process, holding its lease until giveUpAt. */
export interface SagaDrive {
  deps: RentalsDeps;
  bus: Bus;
  lease: Lease;
  /** The request (or recovery run) that drives it, for logs and traces. */
  origin: { requestId: string; trace: TraceContext };
  /** When to stop and hand the saga to recovery (a request's deadline). */
  giveUpAt: number;
}

/** The drive ran out of time; the lease is given back and recovery carries on. */
class OutOfTime extends Error {}

interface StepError {
  code: string;
  kind: string;
  detail: string;
}

function stepErrorOf(error: unknown): StepError {
  if (error instanceof AppError) return { code: error.code, kind: error.kind, detail: error.detail };
  return { code: 'internal', kind: 'internal', detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (attempt: number) => Math.min(2_000, 50 * 2 ** attempt);

/**
 * Drives a rental's saga as far as it can: forward (reserve the item, hold fee + deposit,
 * confirm, hand the item over) while no step has failed, else the compensations in reverse
 * (void the hold, free the item, cancel the rental). Every step is written to the step log
 * before its call and when it ends, so a crash anywhere leaves a saga that recovery resumes
 * from the log; every step and compensation is idempotent, so running one twice is harmless.
 * Returns the rental as this drive left it.
 */
export function driveSaga(drive: SagaDrive): Promise<RentalRow> {
  const { running } = drive.deps;
  const id = drive.lease.rentalId;
  const existing = running.get(id);
  if (existing) return existing;
  const run = new Driver(drive).run().finally(() => running.delete(id));
  running.set(id, run);
  return run;
}

/**
 * Joins a rental's saga from another request: waits for this process's drive of it, or takes
 * the saga over when no process holds its lease (one gave it back at its deadline, or died).
 * Returns the rental as the drive left it, or as it is when another process drives it.
 */
export async function joinSaga(drive: Omit<SagaDrive, 'lease'>, row: RentalRow): Promise<RentalRow> {
  const { deps } = drive;
  const running = deps.running.get(row.id);
  if (running) return running;
  const token = randomUUID();
  const claimed = await claimLease(deps.db, row.id, token, deps.settings.leaseMs);
  return claimed ? driveSaga({ ...drive, lease: { rentalId: row.id, token, ms: deps.settings.leaseMs } }) : row;
}

class Driver {
  /** Calls abandoned at their timeout that may still be running here; awaited before undoing anything. */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly drive: SagaDrive) {}

  private get db() {
    return this.drive.deps.db;
  }

  async run(): Promise<RentalRow> {
    const { lease } = this.drive;
    try {
      for (;;) {
        const [rental, stepRows] = await Promise.all([loadRental(this.db, lease.rentalId), loadSteps(this.db, lease.rentalId)]);
        if (!rental) throw new Error(`Rental ${lease.rentalId} vanished`);
        const log = stepLogOf(stepRows);
        if (rental.status === 'requested' || rental.status === 'confirmed') {
          const plan = planForward(log);
          if (plan.kind === 'run') await this.forward(rental, plan.step);
          else if (plan.kind === 'done') await updateRental(this.db, rental.id, { status: 'active' });
          else await updateRental(this.db, rental.id, { status: 'compensating', failureCode: 'rentals.rentalFailed', failureDetail: 'A step of the rental failed.' });
          continue;
        }
        if (rental.status === 'compensating') {
          await this.settleInflight();
          for (const step of planCompensation(log)) await this.compensate(rental, step);
          continue;
        }
        return rental;
      }
    } catch (error) {
      if (error instanceof OutOfTime) {
        await releaseLease(this.db, lease).catch(() => {});
      } else if (!(error instanceof LeaseLost)) {
        this.drive.deps.log.warn({ rentalId: lease.rentalId, err: stepErrorOf(error).detail }, 'rental saga interrupted; recovery resumes it');
        await releaseLease(this.db, lease).catch(() => {});
      }
      const rental = await loadRental(this.db, lease.rentalId).catch(() => undefined);
      if (!rental) throw error;
      return rental;
    }
  }

  /** The context of one step call: the origin's trace, no caller (a platform call), the step's deadline. */
  private callContext(): CallContext {
    const { origin, deps } = this.drive;
    return { requestId: origin.requestId, trace: childSpan(origin.trace), deadline: Date.now() + deps.settings.stepTimeoutMs };
  }

  /** Runs a call within the step timeout; a late call is remembered so nothing is undone under it. */
  private async timed<T>(what: string, call: () => Promise<T>): Promise<T> {
    const { stepTimeoutMs } = this.drive.deps.settings;
    const attempt = Promise.resolve().then(call);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.inflight.add(attempt);
        attempt.finally(() => this.inflight.delete(attempt)).catch(() => {});
        reject(new AppError('rentals.stepTimedOut', 'timeout', `${what} did not finish within ${stepTimeoutMs} ms.`));
      }, stepTimeoutMs);
    });
    try {
      return await Promise.race([attempt, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async settleInflight(): Promise<void> {
    if (this.inflight.size === 0) return;
    await Promise.race([Promise.allSettled([...this.inflight]), sleep(this.drive.deps.settings.stepTimeoutMs)]);
  }

  private checkTime(): void {
    if (Date.now() >= this.drive.giveUpAt) throw new OutOfTime();
  }

  private async forward(rental: RentalRow, step: ForwardStep): Promise<void> {
    const { deps, lease, bus } = this.drive;
    const { faults, settings } = deps;
    if (step === 'authorizePayment' && rental.totalAmount === 0) {
      await beginStep(this.db, lease, step, 'forward');
      await finishStep(this.db, lease, step, { status: 'skipped', result: { reason: 'nothing to hold' } });
      return;
    }
    for (let attempt = 1; ; attempt++) {
      this.checkTime();
      await beginStep(this.db, lease, step, 'forward');
      try {
        await faults.at(`before:${step}`, rental);
        if (step === 'confirmRental') {
          await finishStep(this.db, lease, step, { status: 'succeeded' }, (tx, row) => this.confirm(tx, row));
          await faults.at(`after:${step}`, rental);
          return;
        }
        const result = await this.timed(step, () => steps[step](bus, rental, this.callContext()));
        await faults.at(`after:${step}`, rental);
        await finishStep(this.db, lease, step, { status: 'succeeded', result }, this.forwardEffect(rental, step, result));
        return;
      } catch (error) {
        if (error instanceof LeaseLost || error instanceof OutOfTime) throw error;
        const failure = stepErrorOf(error);
        if (isNoAnswer(failure.kind) && attempt < settings.stepAttempts) {
          await finishStep(this.db, lease, step, { status: 'failed', error: failure });
          await sleep(backoff(attempt));
          continue;
        }
        const code = failureOf(step, failure);
        deps.log.info({ rentalId: rental.id, step, code: failure.code }, 'rental saga step failed; undoing the rental');
        await finishStep(this.db, lease, step, { status: 'failed', error: failure }, (tx) =>
          updateRental(tx, rental.id, { status: 'compensating', failureCode: `rentals.${code}`, failureDetail: failure.detail }),
        );
        return;
      }
    }
  }

  /** What a forward step's success changes on the rental, if anything. */
  private forwardEffect(rental: RentalRow, step: ForwardStep, result: Record<string, unknown>): ((tx: Tx) => Promise<void>) | undefined {
    if (step === 'authorizePayment') return (tx) => updateRental(tx, rental.id, { authorizationId: String(result.authorizationId) });
    if (step === 'markItemInUse') return (tx) => updateRental(tx, rental.id, { status: 'active' });
    return undefined;
  }

  private async confirm(tx: Tx, row: RentalRow): Promise<void> {
    await updateRental(tx, row.id, { status: 'confirmed', confirmedAt: new Date() });
    await this.drive.deps.publish(tx, rentals.events.rentalConfirmed, rentalFactsOf(row), { aggregateId: row.id, ctx: this.callContext() });
  }

  /** Runs one compensation until it succeeds (retrying calls that got no answer) or gets a clear "no". */
  private async compensate(rental: RentalRow, step: CompensationStep): Promise<void> {
    const { deps, lease, bus } = this.drive;
    for (let attempt = 1; ; attempt++) {
      this.checkTime();
      const current = await beginStep(this.db, lease, step, 'compensation');
      try {
        await deps.faults.at(`before:${step}`, rental);
        if (step === 'cancelRental') {
          await finishStep(this.db, lease, step, { status: 'succeeded' }, (tx, row) => this.cancel(tx, row));
          await deps.faults.at(`after:${step}`, rental);
          return;
        }
        const result = await this.timed(step, () => steps[step](bus, current, this.callContext()));
        await deps.faults.at(`after:${step}`, rental);
        await finishStep(this.db, lease, step, { status: 'succeeded', result });
        return;
      } catch (error) {
        if (error instanceof LeaseLost || error instanceof OutOfTime) throw error;
        const failure = stepErrorOf(error);
        const outcome: StepOutcome = { status: 'failed', error: failure };
        await finishStep(this.db, lease, step, outcome);
        if (!isNoAnswer(failure.kind)) {
          // A clear refusal will not change on retry: leave it for an operator and go on undoing.
          deps.log.error({ rentalId: rental.id, step, code: failure.code, detail: failure.detail }, 'rental compensation refused; needs an operator');
          return;
        }
        await sleep(Math.min(backoff(attempt), Math.max(0, this.drive.giveUpAt - Date.now())));
      }
    }
  }

  private async cancel(tx: Tx, row: RentalRow): Promise<void> {
    await updateRental(tx, row.id, { status: 'cancelled', cancelledAt: new Date() });
    if (row.confirmedAt) {
      await this.drive.deps.publish(tx, rentals.events.rentalCancelled, rentalFactsOf(row), { aggregateId: row.id, ctx: this.callContext() });
    }
  }
}
