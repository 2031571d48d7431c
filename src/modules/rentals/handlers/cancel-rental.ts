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
 * Calls off a confirmed rental before its handover (the renter cancels, the owner declines) by
 * running the saga's compensations: void the whole hold (fee and deposit back: a full refund),
 * then cancel the rental, which frees its period. Cancelling a cancelled rental answers it
 * unchanged.
 */
export const cancelRental: Handler<typeof rentals.ops.cancelRental, RentalsDeps> = async (input, ctx) => {
  const viewer = viewerOf(ctx);
  const { deps, bus } = ctx;
  const row = await findVisibleRental(deps.db, input.id, viewer);
  const drive = {
    deps,
    bus,
    origin: { requestId: ctx.requestId, trace: ctx.trace },
    giveUpAt: ctx.deadline - ANSWER_MARGIN_MS,
  };

  if (row.status === 'confirmed' || row.status === 'active') {
    const decision = canCancel(row, viewer);
    if (!decision.ok) throw rentals.error(decision.reason, decision.problem);
    const token = randomUUID();
    const why =
      viewer.userId === row.renterId
        ? 'Cancelled by the renter'
        : viewer.userId === row.ownerId
          ? 'Declined by the owner'
          : 'Cancelled by an admin';
    const started = await beginCancellation(
      deps.db,
      row.id,
      { code: 'rentals.cancelled', detail: `${why} before the handover; fee and deposit refunded in full.` },
      { token, ms: deps.settings.leaseMs },
    );
    if (!started) {
      const now = (await loadRental(deps.db, row.id))!;
      throw rentals.error('notCancellable', `The rental is ${now.status} now; it can no longer be cancelled.`);
    }
    // A forward drive of this rental in this process (about to park) lost its lease to us: let it stop first.
    await deps.running.get(row.id)?.catch(() => undefined);
    return answer(deps, await driveSaga({ ...drive, lease: { rentalId: row.id, token, ms: deps.settings.leaseMs } }));
  }
  return answer(deps, row.status === 'compensating' ? await joinSaga(drive, row) : { rental: row });
};

async function answer(deps: RentalsDeps, saga: SagaState) {
  const row = saga.rental;
  if (row.status === 'cancelled') return detailsOfSaga(deps.db, saga);
  if (row.status === 'compensating')
    throw rentals.error('rentalPending', `Rental ${row.id} is being cancelled; see GET /v1/rentals/${row.id}.`);
  throw rentals.error(
    'notCancellable',
    `The rental is ${row.status}; only a confirmed rental not yet handed over can be cancelled.`,
  );
}
