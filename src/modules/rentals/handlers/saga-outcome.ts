import type { Db } from '../../../shared/db/database.ts';
import { rentals } from '../contract.ts';
import type { SagaState } from '../saga/run-saga.ts';
import { loadSteps } from '../saga/saga-store.ts';
import { toRentalDetails, type RentalDetailsView } from './rental-view.ts';

type RentalsError = keyof typeof rentals.errors;

/**
 * What a caller gets once a saga drive is over: the rental when it is booked (confirmed and
 * waiting for its handover, or already handed over), the reason it was undone (the decision is
 * final even while the undoing finishes in the background), or rentalPending when it is still
 * being set up.
 */
export async function outcomeOf(db: Db, saga: SagaState): Promise<RentalDetailsView> {
  const row = saga.rental;
  if (row.status === 'confirmed' || row.status === 'active' || row.status === 'completed')
    return detailsOfSaga(db, saga);
  if (row.status === 'requested') {
    throw rentals.error('rentalPending', `Rental ${row.id} is still being set up; see GET /v1/rentals/${row.id}.`);
  }
  const code = row.failureCode?.startsWith('rentals.') ? row.failureCode.slice('rentals.'.length) : 'rentalFailed';
  const known = (code in rentals.errors ? code : 'rentalFailed') as RentalsError;
  const undone =
    row.status === 'cancelled'
      ? 'it was cancelled and nothing is reserved or held for it'
      : 'it is being undone (GET it to follow)';
  throw rentals.error(known, `${row.failureDetail ?? 'The rental could not be set up.'} Rental ${row.id}: ${undone}.`);
}

/** The rental with its steps, as the drive that left it knows them or read fresh. */
export async function detailsOfSaga(db: Db, saga: SagaState): Promise<RentalDetailsView> {
  return toRentalDetails(saga.rental, saga.steps ?? (await loadSteps(db, saga.rental.id)));
}
