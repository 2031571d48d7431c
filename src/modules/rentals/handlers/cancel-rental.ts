import { randomUUID } from 'node:crypto';
import type { Handler } from '../../../shared/bus/bus.ts';
import { rentals } from '../contract.ts';
import type { RentalsDeps } from '../deps.ts';
import { canCancel } from '../domain/access.ts';
import { driveSaga, joinSaga, type SagaState } from '../saga/run-saga.ts';
import { beginCancellation, loadRental } from '../saga/saga-store.ts';
import { findVisibleRental, viewerOf } from './find-rental.ts';
import { detailsOfSaga } from './saga-outcome.ts';

const ANSWER_MARGIN_MS = 300;

/**
 * Calls off an active rental before it starts by running the saga's compensations (void the
 * hold, free the item, cancel the rental). Cancelling a cancelled rental answers it unchanged.
 */
export const cancelRental: Handler<typeof rentals.ops.cancelRental, RentalsDeps> = async (input, ctx) => {
  const viewer = viewerOf(ctx);
  const { deps, bus } = ctx;
  const row = await findVisibleRental(deps.db, input.id, viewer);
  const drive = { deps, bus, origin: { requestId: ctx.requestId, trace: ctx.trace }, giveUpAt: ctx.deadline - ANSWER_MARGIN_MS };

  if (row.status === 'active') {
    const decision = canCancel(row, viewer, new Date());
    if (!decision.ok) throw rentals.error(decision.reason, decision.problem);
    const token = randomUUID();
    const who = viewer.userId === row.renterId ? 'the renter' : viewer.userId === row.ownerId ? 'the owner' : 'an admin';
    const started = await beginCancellation(deps.db, row.id, { code: 'rentals.cancelled', detail: `Cancelled by ${who} before the rental started.` }, { token, ms: deps.settings.leaseMs });
    if (!started) {
      const now = (await loadRental(deps.db, row.id))!;
      throw rentals.error('notCancellable', `The rental is ${now.status} now; it can no longer be cancelled.`);
    }
    return answer(deps, await driveSaga({ ...drive, lease: { rentalId: row.id, token, ms: deps.settings.leaseMs } }));
  }
  return answer(deps, row.status === 'compensating' ? await joinSaga(drive, row) : { rental: row });
};

async function answer(deps: RentalsDeps, saga: SagaState) {
  const row = saga.rental;
  if (row.status === 'cancelled') return detailsOfSaga(deps.db, saga);
  if (row.status === 'compensating') throw rentals.error('rentalPending', `Rental ${row.id} is being cancelled; see GET /v1/rentals/${row.id}.`);
  throw rentals.error('notCancellable', `The rental is ${row.status}; only an active rental that has not started can be cancelled.`);
}
