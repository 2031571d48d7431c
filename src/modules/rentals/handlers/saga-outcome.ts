import type { Db } from '../../../shared/db/database.ts';
import { rentals } from '../contract.ts';
import type { RentalRow } from '../saga/saga-store.ts';
import { detailsOf } from './find-rental.ts';
import type { RentalDetailsView } from './rental-view.ts';

type RentalsError = keyof typeof rentals.errors;

/**
 * What a caller gets once a saga drive is over: the rental when it is set up, the reason it
 * was undone (the decision is final even while the undoing finishes in the background), or
 * rentalPending when it is still being set up.
 */
export async function outcomeOf(db: Db, row: RentalRow): Promise<RentalDetailsView> {
  if (row.status === 'active' || row.status === 'completed') return detailsOf(db, row.id);
  if (row.status === 'requested' || row.status === 'confirmed') {
    throw rentals.error('rentalPending', `Rental ${row.id} is still being set up; see GET /v1/rentals/${row.id}.`);
  }
  const code = row.failureCode?.startsWith('rentals.') ? row.failureCode.slice('rentals.'.length) : 'rentalFailed';
  const known = (code in rentals.errors ? code : 'rentalFailed') as RentalsError;
  const undone = row.status === 'cancelled' ? 'it was cancelled and nothing is reserved or held for it' : 'it is being undone (GET it to follow)';
  throw rentals.error(known, `${row.failureDetail ?? 'The rental could not be set up.'} Rental ${row.id}: ${undone}.`);
}
