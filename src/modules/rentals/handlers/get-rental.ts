import type { Handler } from '../../../shared/bus/bus.ts';
import type { rentals } from '../contract.ts';
import type { RentalsDeps } from '../deps.ts';
import { loadSteps } from '../saga/saga-store.ts';
import { findVisibleRental, viewerOf } from './find-rental.ts';
import { toRentalDetails } from './rental-view.ts';

export const getRental: Handler<typeof rentals.ops.getRental, RentalsDeps> = async (input, ctx) => {
  const row = await findVisibleRental(ctx.deps.db, input.id, viewerOf(ctx));
  return toRentalDetails(row, await loadSteps(ctx.deps.db, row.id));
};
