import { and, asc, gt, isNotNull } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import type { rentals } from '../contract.ts';
import { rentalsTable } from '../db/schema.ts';
import type { RentalsDeps } from '../deps.ts';
import { rentalFactsOf } from './rental-view.ts';

export const listBookings: Handler<typeof rentals.ops.listBookings, RentalsDeps> = async (input, { deps, caller }) => {
  // Members read their rentals through listRentals; this list of everyone's is for the platform's own processes.
  if (caller) throw platformErrors.forbidden('Only the platform itself lists every booking.');
  const rows = await deps.db
    .select()
    .from(rentalsTable)
    .where(and(isNotNull(rentalsTable.confirmedAt), input.after ? gt(rentalsTable.id, input.after) : undefined))
    .orderBy(asc(rentalsTable.id))
    .limit(input.limit);
  return {
    bookings: rows.map((row) => ({ ...rentalFactsOf(row), status: row.status })),
    next: rows.length === input.limit ? rows.at(-1)!.id : null,
  };
};
