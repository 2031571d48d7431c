import type { Handler } from '../../../shared/bus/bus.ts';
import { rentals } from '../contract.ts';
import type { RentalsDeps } from '../deps.ts';
import { canHandOver } from '../domain/access.ts';
import { joinSaga } from '../saga/run-saga.ts';
import { detailsOfSaga } from './saga-outcome.ts';
import { findVisibleRental, viewerOf } from './find-rental.ts';

const ANSWER_MARGIN_MS = 300;

/**
 * The owner records the pick-up: the waiting handover step of the saga runs now (its timer
 * ran out at the start of the period, so the saga's lease is free to take). A rental already
 * handed over (by the owner or at the start) answers unchanged.
 */
export const handOverRental: Handler<typeof rentals.ops.handOverRental, RentalsDeps> = async (input, ctx) => {
  const viewer = viewerOf(ctx);
  const { deps, bus } = ctx;
  const row = await findVisibleRental(deps.db, input.id, viewer);
  const decision = canHandOver(row, viewer, new Date());
  if (!decision.ok) throw rentals.error(decision.reason, decision.problem);
  if (row.status === 'active') return detailsOfSaga(deps.db, { rental: row });
  const saga = await joinSaga(
    { deps, bus, origin: { requestId: ctx.requestId, trace: ctx.trace }, giveUpAt: ctx.deadline - ANSWER_MARGIN_MS },
    row,
  );
  const now = saga.rental;
  if (now.status === 'active') return detailsOfSaga(deps.db, saga);
  if (now.status === 'confirmed')
    throw rentals.error('rentalPending', `The handover of rental ${row.id} is being recorded; GET it again shortly.`);
  throw rentals.error('cannotHandOver', `The rental is ${now.status}; only a confirmed rental can be handed over.`);
};
