import { randomUUID } from 'node:crypto';
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
  LeaseLost,
  loadRental,
  loadSteps,
  parkStep,
  releaseLease,
  stepLogOf,
  updateRental,
  type Lease,
  type RentalRow,
  type StepKind,
  type StepOutcome,
  type StepRow,
  type StepWrite,
} from './saga-store.ts';
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (attempt: number) => Math.min(2_000, 50 * 2 ** attempt);

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
  return claimed
    ? driveSaga({ ...drive, lease: { rentalId: row.id, token, ms: deps.settings.leaseMs } })
    : { rental: row };
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

  async run(): Promise<SagaState> {
    const { lease } = this.drive;
    try {
      const [rental, stepRows] = await Promise.all([
        loadRental(this.db, lease.rentalId),
        loadSteps(this.db, lease.rentalId),
      ]);
      if (!rental) throw new Error(`Rental ${lease.rentalId} vanished`);
      this.rental = rental;
      for (const step of stepRows) this.steps.set(step.name, step);
      for (;;) {
        const { status } = this.rental;
        const log = stepLogOf([...this.steps.values()]);
        if (status === 'requested' || status === 'confirmed') {
          const plan = planForward(log);
          if (plan.kind === 'run') {
            if ((await this.forward(plan.step)) === 'parked')
              return { rental: this.rental, steps: [...this.steps.values()].sort(byStart) };
          } else if (plan.kind === 'done')
            this.rental = await updateRental(this.db, lease.rentalId, { status: 'active' });
          else
            this.rental = await updateRental(this.db, lease.rentalId, {
              status: 'compensating',
              failureCode: 'rentals.rentalFailed',
              failureDetail: 'A step of the rental failed.',
            });
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

  /** Writes a step's start; the rental and step as written become the drive's. */
  private async begin(step: string, kind: StepKind): Promise<void> {
    this.took(await beginStep(this.db, this.drive.lease, step, kind));
  }

  /** Writes how a step ended, with its effect on the rental if any. */
  private async finish(
    step: string,
    outcome: StepOutcome,
    apply?: (tx: Tx, row: RentalRow) => Promise<RentalRow>,
  ): Promise<void> {
    this.took(await finishStep(this.db, this.drive.lease, step, outcome, apply));
  }

  private took(written: StepWrite): void {
    this.rental = written.rental;
    this.steps.set(written.step.name, written.step);
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

  /**
   * Runs a forward step. The handover (markItemInUse) parks before the period starts: the step
   * is written as waiting and the lease set to run out at the start, so recovery (in any
   * process, after any restart) resumes the saga then: the durable timer. From the start on,
   * or when the owner records the pick-up (allowed from the start), the rental becomes active.
   */
  private async forward(step: ForwardStep): Promise<'done' | 'parked'> {
    const { deps, bus } = this.drive;
    const { faults, settings } = deps;
    if (step === 'markItemInUse' && Date.now() < this.rental.periodFrom.getTime()) {
      this.checkTime();
      this.took(await parkStep(this.db, this.drive.lease, step, this.rental.periodFrom));
      return 'parked';
    }
    if (step === 'authorizePayment' && this.rental.totalAmount === 0) {
      await this.begin(step, 'forward');
      await this.finish(step, { status: 'skipped', result: { reason: 'nothing to hold' } });
      return 'done';
    }
    for (let attempt = 1; ; attempt++) {
      this.checkTime();
      await this.begin(step, 'forward');
      const rental = this.rental;
      try {
        await faults.at(`before:${step}`, rental);
        if (step === 'confirmRental' || step === 'markItemInUse') {
          await this.finish(step, { status: 'succeeded' }, (tx, row) =>
            step === 'confirmRental' ? this.confirm(tx, row) : handOver(tx, row),
          );
          await faults.at(`after:${step}`, rental);
          return 'done';
        }
        const call = step === 'reserveItem' ? steps.reserveItem : steps.authorizePayment;
        const result = await this.timed(step, () => call(bus, rental, this.callContext()));
        await faults.at(`after:${step}`, rental);
        await this.finish(step, { status: 'succeeded', result }, this.forwardEffect(step, result));
        return 'done';
      } catch (error) {
        if (error instanceof LeaseLost || error instanceof OutOfTime) throw error;
        const failure = stepErrorOf(error);
        if (isNoAnswer(failure.kind) && attempt < settings.stepAttempts) {
          await this.finish(step, { status: 'failed', error: failure });
          await sleep(backoff(attempt));
          continue;
        }
        const code = failureOf(step, failure);
        deps.log.info({ rentalId: rental.id, step, code: failure.code }, 'rental saga step failed; undoing the rental');
        await this.finish(step, { status: 'failed', error: failure }, (tx) =>
          updateRental(tx, rental.id, {
            status: 'compensating',
            failureCode: `rentals.${code}`,
            failureDetail: failure.detail,
          }),
        );
        return 'done';
      }
    }
  }

  /** What a forward step's success changes on the rental, if anything. */
  private forwardEffect(
    step: ForwardStep,
    result: Record<string, unknown>,
  ): ((tx: Tx, row: RentalRow) => Promise<RentalRow>) | undefined {
    if (step === 'authorizePayment')
      return (tx, row) => updateRental(tx, row.id, { authorizationId: String(result.authorizationId) });
    return undefined;
  }

  private async confirm(tx: Tx, row: RentalRow): Promise<RentalRow> {
    const confirmed = await updateRental(tx, row.id, { status: 'confirmed', confirmedAt: new Date() });
    await this.drive.deps.publish(tx, rentals.events.rentalConfirmed, rentalFactsOf(row), {
      aggregateId: row.id,
      ctx: this.callContext(),
    });
    return confirmed;
  }

  /** Runs one compensation until it succeeds (retrying calls that got no answer) or gets a clear "no". */
  private async compensate(step: CompensationStep): Promise<void> {
    const { deps, bus } = this.drive;
    for (let attempt = 1; ; attempt++) {
      this.checkTime();
      await this.begin(step, 'compensation');
      const rental = this.rental;
      try {
        await deps.faults.at(`before:${step}`, rental);
        if (step === 'cancelRental') {
          await this.finish(step, { status: 'succeeded' }, (tx, row) => this.cancel(tx, row));
          await deps.faults.at(`after:${step}`, rental);
          return;
        }
        const result = await this.timed(step, () => steps.voidAuthorization(bus, rental, this.callContext()));
        await deps.faults.at(`after:${step}`, rental);
        await this.finish(step, { status: 'succeeded', result });
        return;
      } catch (error) {
        if (error instanceof LeaseLost || error instanceof OutOfTime) throw error;
        const failure = stepErrorOf(error);
        await this.finish(step, { status: 'failed', error: failure });
        if (!isNoAnswer(failure.kind)) {
          // A clear refusal will not change on retry: leave it for an operator and go on undoing.
          deps.log.error(
            { rentalId: rental.id, step, code: failure.code, detail: failure.detail },
            'rental compensation refused; needs an operator',
          );
          return;
        }
        await sleep(Math.min(backoff(attempt), Math.max(0, this.drive.giveUpAt - Date.now())));
      }
    }
  }

  private async cancel(tx: Tx, row: RentalRow): Promise<RentalRow> {
    const cancelled = await updateRental(tx, row.id, { status: 'cancelled', cancelledAt: new Date() });
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
function handOver(tx: Tx, row: RentalRow): Promise<RentalRow> {
  return updateRental(tx, row.id, { status: 'active', handedOverAt: row.handedOverAt ?? new Date() });
}

/** Steps in the order they started (as loadSteps reads them). */
function byStart(a: StepRow, b: StepRow): number {
  return a.startedAt.getTime() - b.startedAt.getTime() || a.name.localeCompare(b.name);
}
