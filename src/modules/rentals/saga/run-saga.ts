import { randomUUID } from 'node:crypto';
import type { RetryPolicy } from 'cockatiel';
import type { Bus } from '../../../shared/bus/bus.ts';
import type { CallContext } from '../../../shared/bus/context.ts';
import { AppError } from '../../../shared/bus/errors.ts';
import type { Tx } from '../../../shared/db/database.ts';
import { childSpan, type TraceContext } from '../../../shared/observability/trace.ts';
import { rentals } from '../contract.ts';
import type { RentalsDeps } from '../deps.ts';
import {
  failureOf,
  isNoAnswer,
  planCompensation,
  planForward,
  type CompensationStep,
  type ForwardStep,
} from '../domain/saga.ts';
import { rentalFactsOf } from '../handlers/rental-view.ts';
import {
  beginStep,
  claimLease,
  finishStep,
  finishWithChanges,
  LeaseLost,
  loadRental,
  loadSteps,
  parkStep,
  releaseLease,
  renewLease,
  stepLogOf,
  updateHeld,
  type Lease,
  type RentalChanges,
  type RentalRow,
  type StepKind,
  type StepOutcome,
  type StepRow,
} from './saga-store.ts';
import { NoAnswer, settleWithin, stepRetry, withinTimeout } from './step-policies.ts';
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
  /**
   * A rental its request just recorded, with the lease: the drive need not read it back (it has
   * no steps yet), nor the item the request just read. at: when the lease was taken (before the
   * statement was sent); without it the drive renews the lease before its first step.
   */
  taken?: { at: number; rental: RentalRow; item: steps.ItemToReserve };
}

/**
 * A saga as a drive left it: the rental, and its steps when the drive knows them (it wrote
 * them all itself; absent when it stopped early or another process drives the saga).
 */
export interface SagaState {
  rental: RentalRow;
  steps?: readonly StepRow[];
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
  return {
    code: 'internal',
    kind: 'internal',
    detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  };
}

/**
 * Drives a rental's saga as far as it can: forward (check the item, hold fee + deposit,
 * confirm, then the handover, which waits for the start of the period) while no step has
 * failed, else the compensations in reverse (void the hold, cancel the rental). Every step is written to the step log
 * before its call and when it ends, so a crash anywhere leaves a saga that recovery resumes
 * from the log; every step and compensation is idempotent, so running one twice is harmless.
 * The log is read once: the drive holds the lease, so no one else writes it, and every write
 * returns the rows as it left them. Returns the saga as this drive left it.
 */
export function driveSaga(drive: SagaDrive): Promise<SagaState> {
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
 * Returns the saga as the drive left it, or the rental as it is when another process drives it.
 */
export async function joinSaga(drive: Omit<SagaDrive, 'lease'>, row: RentalRow): Promise<SagaState> {
  const { deps } = drive;
  const running = deps.running.get(row.id);
  if (running) return running;
  const token = randomUUID();
  const claimed = await claimLease(deps.db, row.id, token, deps.settings.leaseMs);
  if (claimed) return driveSaga({ ...drive, lease: { rentalId: row.id, token, ms: deps.settings.leaseMs } });
  // Driven elsewhere, or finished since `row` was read (a drive that just ended here): answer as it is now.
  return { rental: (await loadRental(deps.db, row.id)) ?? row };
}

class Driver {
  /** Calls abandoned at their timeout that may still be running here; awaited before undoing anything. */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly drive: SagaDrive) {}

  private get db() {
    return this.drive.deps.db;
  }

  /** The rental and its steps as this drive last wrote (or first read) them. */
  private rental!: RentalRow;
  private readonly steps = new Map<string, StepRow>();
  /** When the lease was last taken or renewed, as this process's clock saw it before the write. */
  private leaseFrom = Number.NEGATIVE_INFINITY;
  /** No write of the current step attempt has been made yet (its first one counts the attempt). */
  private attemptFresh = true;

  async run(): Promise<SagaState> {
    const { lease, taken } = this.drive;
    try {
      if (taken) {
        this.rental = taken.rental;
        this.leaseFrom = taken.at;
      } else {
        const [rental, stepRows] = await Promise.all([
          loadRental(this.db, lease.rentalId),
          loadSteps(this.db, lease.rentalId),
        ]);
        if (!rental) throw new Error(`Rental ${lease.rentalId} vanished`);
        this.rental = rental;
        for (const step of stepRows) this.steps.set(step.name, step);
      }
      for (;;) {
        const { status } = this.rental;
        const log = stepLogOf([...this.steps.values()]);
        if (status === 'requested' || status === 'confirmed') {
          const plan = planForward(log);
          if (plan.kind === 'run') {
            if ((await this.forward(plan.step)) === 'parked')
              return { rental: this.rental, steps: [...this.steps.values()].sort(byStart) };
          } else if (plan.kind === 'done')
            this.rental = await this.held(() => updateHeld(this.db, lease, { status: 'active' }));
          else
            this.rental = await this.held(() =>
              updateHeld(this.db, lease, {
                status: 'compensating',
                failureCode: 'rentals.rentalFailed',
                failureDetail: 'A step of the rental failed.',
              }),
            );
          continue;
        }
        if (status === 'compensating') {
          await this.settleInflight();
          for (const step of planCompensation(log)) await this.compensate(step);
          continue;
        }
        return { rental: this.rental, steps: [...this.steps.values()].sort(byStart) };
      }
    } catch (error) {
      if (error instanceof OutOfTime) {
        await releaseLease(this.db, lease).catch(() => {});
      } else if (!(error instanceof LeaseLost)) {
        this.drive.deps.log.warn(
          { rentalId: lease.rentalId, err: stepErrorOf(error).detail },
          'rental saga interrupted; recovery resumes it',
        );
        await releaseLease(this.db, lease).catch(() => {});
      }
      const rental = await loadRental(this.db, lease.rentalId).catch(() => undefined);
      if (!rental) throw error;
      return { rental };
    }
  }

  /**
   * Writes a remote step's start, before its call; renews the lease first when less than half
   * of it is left (a lease is at least twice a step's timeout, so the call and the write of its
   * end fit in what is left).
   */
  private async begin(step: string, kind: StepKind): Promise<void> {
    const { lease } = this.drive;
    if (Date.now() - this.leaseFrom > lease.ms / 2) this.rental = await this.held(() => renewLease(this.db, lease));
    this.steps.set(step, await beginStep(this.db, lease, step, kind));
    this.attemptFresh = false;
  }

  /**
   * Writes how a step ended, with its effect on the rental if any (which renews the lease): a
   * change of the rental's columns in one statement with the step's end, an effect that does
   * more (publishes an event) in one transaction with it.
   */
  private async finish(
    step: string,
    kind: StepKind,
    outcome: StepOutcome,
    effect?: RentalChanges | ((tx: Tx, lease: Lease) => Promise<RentalRow>),
  ): Promise<void> {
    const { lease } = this.drive;
    const started = Date.now();
    const ended = { name: step, kind, newAttempt: this.attemptFresh };
    this.attemptFresh = false;
    const written =
      effect === undefined || typeof effect === 'function'
        ? await finishStep(this.db, lease, ended, outcome, effect && ((tx) => effect(tx, lease)))
        : await finishWithChanges(this.db, lease, { ...ended, known: this.steps.get(step) }, outcome, effect);
    if (written.rental) {
      this.rental = written.rental;
      this.leaseFrom = started;
    }
    this.steps.set(step, written.step);
  }

  /** A write that renews the lease: the lease runs from before it was sent. */
  private async held(write: () => Promise<RentalRow>): Promise<RentalRow> {
    const started = Date.now();
    const row = await write();
    this.leaseFrom = started;
    return row;
  }

  /** The context of one step call: the origin's trace, no caller (a platform call), the step's deadline. */
  private callContext(): CallContext {
    const { origin, deps } = this.drive;
    return {
      requestId: origin.requestId,
      trace: childSpan(origin.trace),
      deadline: Date.now() + deps.settings.stepTimeoutMs,
    };
  }

  /** Runs a call within the step timeout; a late call is remembered so nothing is undone under it. */
  private timed<T>(what: string, call: () => Promise<T>): Promise<T> {
    return withinTimeout(what, this.drive.deps.settings.stepTimeoutMs, call, (attempt) => {
      this.inflight.add(attempt);
      attempt.finally(() => this.inflight.delete(attempt)).catch(() => {});
    });
  }

  private async settleInflight(): Promise<void> {
    if (this.inflight.size > 0) await settleWithin(this.drive.deps.settings.stepTimeoutMs, this.inflight);
  }

  private checkTime(): void {
    if (Date.now() >= this.drive.giveUpAt) throw new OutOfTime();
  }

  /** Runs a step's attempts under its retry policy; retries cut short by the drive's end are OutOfTime. */
  private async retried(policy: RetryPolicy, attempt: (n: number) => Promise<void>): Promise<void> {
    try {
      await policy.execute(({ attempt: n }) => attempt(n));
    } catch (error) {
      throw error instanceof NoAnswer ? new OutOfTime() : error;
    }
  }

  /**
   * Runs a forward step. The handover (markItemInUse) parks before the period starts: the step
   * is written as waiting and the lease set to run out at the start, so recovery (in any
   * process, after any restart) resumes the saga then: the durable timer. From the start on,
   * or when the owner records the pick-up (allowed from the start), the rental becomes active.
   * A remote step's start is written before its call; a local one (confirm, hand over) is
   * written once, with its effect. A step that got no answer is tried again (stepRetry).
   */
  private async forward(step: ForwardStep): Promise<'done' | 'parked'> {
    const { deps, giveUpAt } = this.drive;
    const { faults, settings } = deps;
    if (step === 'markItemInUse' && Date.now() < this.rental.periodFrom.getTime()) {
      this.checkTime();
      const parked = await parkStep(this.db, this.drive.lease, step, this.rental.periodFrom);
      this.rental = parked.rental;
      this.steps.set(step, parked.step);
      return 'parked';
    }
    if (step === 'authorizePayment' && this.rental.totalAmount === 0) {
      this.attemptFresh = true;
      await this.finish(step, 'forward', { status: 'skipped', result: { reason: 'nothing to hold' } });
      return 'done';
    }
    const local = step === 'confirmRental' || step === 'markItemInUse';
    await this.retried(stepRetry(settings.stepAttempts, giveUpAt), async (attempt) => {
      this.checkTime();
      this.attemptFresh = true;
      if (!local) await this.begin(step, 'forward');
      const rental = this.rental;
      try {
        await faults.at(`before:${step}`, rental);
        if (local) {
          await this.finish(
            step,
            'forward',
            { status: 'succeeded' },
            step === 'confirmRental' ? (tx, lease) => this.confirm(tx, lease, rental) : handOver(rental),
          );
          await faults.at(`after:${step}`, rental);
          return;
        }
        const result = await this.timed(step, () => this.call(step, rental));
        await faults.at(`after:${step}`, rental);
        await this.finish(step, 'forward', { status: 'succeeded', result }, this.forwardEffect(step, result));
      } catch (error) {
        if (error instanceof LeaseLost || error instanceof OutOfTime) throw error;
        const failure = stepErrorOf(error);
        if (isNoAnswer(failure.kind) && attempt < settings.stepAttempts - 1) {
          await this.finish(step, 'forward', { status: 'failed', error: failure });
          throw new NoAnswer(error);
        }
        const code = failureOf(step, failure);
        deps.log.info({ rentalId: rental.id, step, code: failure.code }, 'rental saga step failed; undoing the rental');
        await this.finish(
          step,
          'forward',
          { status: 'failed', error: failure },
          { status: 'compensating', failureCode: `rentals.${code}`, failureDetail: failure.detail },
        );
      }
    });
    return 'done';
  }

  /** A remote forward step's call; the item check uses the item its request just read, on the first drive. */
  private call(step: 'reserveItem' | 'authorizePayment', rental: RentalRow): Promise<steps.StepResult> {
    const { bus, taken } = this.drive;
    if (step === 'authorizePayment') return steps.authorizePayment(bus, rental, this.callContext());
    const item = taken?.item;
    return item && this.steps.get(step)?.attempts === 1
      ? Promise.resolve(steps.checkItem(item))
      : steps.reserveItem(bus, rental, this.callContext());
  }

  /** What a forward step's success changes on the rental, if anything. */
  private forwardEffect(step: ForwardStep, result: Record<string, unknown>): RentalChanges | undefined {
    if (step === 'authorizePayment') return { authorizationId: String(result.authorizationId) };
    return undefined;
  }

  private async confirm(tx: Tx, lease: Lease, row: RentalRow): Promise<RentalRow> {
    const confirmed = await updateHeld(tx, lease, { status: 'confirmed', confirmedAt: new Date() });
    await this.drive.deps.publish(tx, rentals.events.rentalConfirmed, rentalFactsOf(row), {
      aggregateId: row.id,
      ctx: this.callContext(),
    });
    return confirmed;
  }

  /**
   * Runs one compensation until it succeeds (retrying calls that got no answer, until the
   * drive's end) or gets a clear "no". The void's start is written before its call; the
   * cancellation, local, once with its effect.
   */
  private async compensate(step: CompensationStep): Promise<void> {
    const { deps, bus, giveUpAt } = this.drive;
    await this.retried(stepRetry(Number.POSITIVE_INFINITY, giveUpAt), async () => {
      this.checkTime();
      this.attemptFresh = true;
      if (step === 'voidAuthorization') await this.begin(step, 'compensation');
      const rental = this.rental;
      try {
        await deps.faults.at(`before:${step}`, rental);
        if (step === 'cancelRental') {
          await this.finish(step, 'compensation', { status: 'succeeded' }, (tx, lease) =>
            this.cancel(tx, lease, rental),
          );
          await deps.faults.at(`after:${step}`, rental);
          return;
        }
        const result = await this.timed(step, () => steps.voidAuthorization(bus, rental, this.callContext()));
        await deps.faults.at(`after:${step}`, rental);
        await this.finish(step, 'compensation', { status: 'succeeded', result });
      } catch (error) {
        if (error instanceof LeaseLost || error instanceof OutOfTime) throw error;
        const failure = stepErrorOf(error);
        await this.finish(step, 'compensation', { status: 'failed', error: failure });
        if (isNoAnswer(failure.kind)) throw new NoAnswer(error);
        // A clear refusal will not change on retry: leave it for an operator and go on undoing.
        deps.log.error(
          { rentalId: rental.id, step, code: failure.code, detail: failure.detail },
          'rental compensation refused; needs an operator',
        );
      }
    });
  }

  private async cancel(tx: Tx, lease: Lease, row: RentalRow): Promise<RentalRow> {
    const cancelled = await updateHeld(tx, lease, { status: 'cancelled', cancelledAt: new Date() });
    if (row.confirmedAt) {
      await this.drive.deps.publish(tx, rentals.events.rentalCancelled, rentalFactsOf(row), {
        aggregateId: row.id,
        ctx: this.callContext(),
      });
    }
    return cancelled;
  }
}

/** The handover: the renter has the item, the rental is active. */
function handOver(row: RentalRow): RentalChanges {
  return { status: 'active', handedOverAt: row.handedOverAt ?? new Date() };
}

/** Steps in the order they started (as loadSteps reads them). */
function byStart(a: StepRow, b: StepRow): number {
  return a.startedAt.getTime() - b.startedAt.getTime() || a.name.localeCompare(b.name);
}
