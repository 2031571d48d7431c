import type { Handler } from '../../../shared/bus/bus.ts';
import { AppError } from '../../../shared/bus/errors.ts';
import {
  ensureTwoPhaseSupported,
  localParticipant,
  TwoPhaseInDoubt,
  TwoPhaseUnsupported,
  type TwoPhaseParticipant,
  type TwoPhaseResult,
} from '../../../shared/db/two-phase/index.ts';
import { rentals } from '../contract.ts';
import type { RentalsDeps } from '../deps.ts';
import { canReturn } from '../domain/access.ts';
import { isNoAnswer } from '../domain/saga.ts';
import type { SagaFaults } from '../saga/faults.ts';
import { loadSteps, type RentalRow } from '../saga/saga-store.ts';
import { beginSettleStep, completeRental, failSettleStep, recordSettleFailure } from '../settlement/complete-rental.ts';
import { mayShareTransaction, settleInOnePhase } from '../settlement/one-phase.ts';
import { paymentsParticipant } from '../settlement/payments-participant.ts';
import { RENTALS } from '../settlement/settlement.ts';
import { detailsOf, findVisibleRental, viewerOf } from './find-rental.ts';
import { toRentalDetails } from './rental-view.ts';

/**
 * The item is back: settles the rental, rentals' share (the rental completed, rentalCompleted
 * in its outbox) and payments' share (fee to the owner, deposit back to the renter), either
 * both or neither. When payments shares rentals' database and process, in ONE local
 * transaction (one-phase: works on PGlite and without prepared transactions); otherwise with
 * two-phase commit across the two databases: both shares PREPAREd, the decision logged, then
 * both committed. Returning a completed rental answers it unchanged.
 */
export const returnRental: Handler<typeof rentals.ops.returnRental, RentalsDeps> = async (input, ctx) => {
  const viewer = viewerOf(ctx);
  const { deps, bus } = ctx;
  const row = await findVisibleRental(deps.db, input.id, viewer);
  if (row.status === 'completed') return detailsOf(deps.db, row.id);
  const decision = canReturn(row, viewer);
  if (!decision.ok) throw rentals.error(decision.reason, decision.problem);
  if (mayShareTransaction(bus)) {
    try {
      const settled = await settleInOnePhase(deps, bus, row, ctx);
      if (settled !== 'notShared') return toRentalDetails(settled, await loadSteps(deps.db, row.id));
    } catch (error) {
      const now = await detailsOf(deps.db, row.id);
      if (now.status === 'completed') return now; // a concurrent return settled it
      const failure = whyAborted([error]);
      await recordSettleFailure(deps.db, row.id, { code: failure.code, kind: failure.kind, detail: failure.detail });
      throw failure;
    }
  }
  const { settlement, settings } = deps;
  if (settlement.kind !== 'ready') throw unavailable(settlement.reason);
  try {
    await ensureTwoPhaseSupported(settlement.sql);
  } catch (error) {
    if (error instanceof TwoPhaseUnsupported) throw unavailable(error);
    throw error;
  }

  if (
    !(await beginSettleStep(deps.db, row.id, {
      staleMs: settings.twoPhaseStaleMs,
      lockTimeoutMs: settings.prepareTimeoutMs,
    }))
  ) {
    const now = await detailsOf(deps.db, row.id);
    if (now.status === 'completed') return now;
    throw rentals.error(
      'notReturnable',
      `A return of rental ${row.id} is already under way; GET it to see how it ends.`,
    );
  }
  const timeoutMs = settings.prepareTimeoutMs;
  const participants: TwoPhaseParticipant[] = [
    localParticipant(RENTALS, settlement.sql, completeRental(row.id, deps.publish, ctx), {
      deadline: Date.now() + timeoutMs,
      onCommitted: settlement.wakeRelay,
    }),
  ];
  if (row.authorizationId)
    participants.push(
      paymentsParticipant(bus, row, { timeoutMs, platformFeeBasisPoints: settings.platformFeeBasisPoints }),
    );

  let result: TwoPhaseResult;
  try {
    result = await settlement.coordinator.run(withCrashPoints(participants, deps.faults, row));
  } catch (error) {
    if (error instanceof TwoPhaseInDoubt)
      throw rentals.error(
        'settlementInDoubt',
        `The settlement of rental ${row.id} is being finished; GET it again shortly.`,
      );
    throw error;
  }
  if (result.outcome === 'committed') return detailsOf(deps.db, row.id);

  const failure = whyAborted(result.failures.map((f) => f.error));
  await failSettleStep(deps.db, row.id, { code: failure.code, kind: failure.kind, detail: failure.detail });
  throw failure;
};

function unavailable(reason: TwoPhaseUnsupported): AppError {
  return rentals.error(
    'settlementUnavailable',
    `Returns are settled with two-phase commit, which this deployment cannot do. ${reason.message}`,
  );
}

/** The error a caller gets for an aborted settlement: the participants' "no", as rentals' contract says it. */
function whyAborted(errors: unknown[]): AppError {
  const mine = errors.find((e): e is AppError => e instanceof AppError && e.code.startsWith('rentals.'));
  if (mine) return mine;
  const unsupported = errors.find(
    (e) => e instanceof TwoPhaseUnsupported || (e instanceof AppError && e.code === 'payments.settlementUnsupported'),
  );
  if (unsupported)
    return rentals.error(
      'settlementUnavailable',
      `Returns are settled with two-phase commit, which this deployment cannot do. ${(unsupported as Error).message}`,
    );
  const refused = errors.find((e): e is AppError => e instanceof AppError && !isNoAnswer(e.kind));
  if (refused)
    return rentals.error('settlementRejected', `Payments refused the settlement: ${refused.detail} Nothing changed.`);
  return rentals.error(
    'settlementFailed',
    'The settlement could not be completed now; nothing changed. Try the return again.',
  );
}

/** Test hooks between the protocol's phases: every vote in (no decision yet), and the decision logged (nothing committed). */
function withCrashPoints(
  participants: TwoPhaseParticipant[],
  faults: SagaFaults,
  rental: RentalRow,
): TwoPhaseParticipant[] {
  let voted = 0;
  let decided = false;
  return participants.map((p) => ({
    ...p,
    async prepare(gid) {
      const vote = await p.prepare(gid);
      if (++voted === participants.length) await faults.at('settle:after-prepares', rental);
      return vote;
    },
    async commit(gid, vote) {
      if (!decided) {
        decided = true;
        await faults.at('settle:after-decision', rental);
      }
      return p.commit(gid, vote);
    },
  }));
}
