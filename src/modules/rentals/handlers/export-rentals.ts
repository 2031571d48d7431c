import { sql } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { changedIn, changeOrder, changePage, changeWindow } from '../../../shared/db/change-feed.ts';
import type { rentals } from '../contract.ts';
import { rentalsTable } from '../db/schema.ts';
import type { RentalsDeps } from '../deps.ts';
import { toRental } from './rental-view.ts';

// change_xid is kept by migration 0004_export_cursor, outside the drizzle schema.
const changeXid = sql`${rentalsTable}.change_xid`;

export const exportRentals: Handler<typeof rentals.ops.exportRentals, RentalsDeps> = async (
  input,
  { deps, caller },
) => {
  if (caller) throw platformErrors.forbidden('Only the platform itself exports rentals.');
  const window = await changeWindow(deps.db, input);
  const rows = await deps.db
    .select({ rental: rentalsTable, changeXid: sql<string>`${changeXid}::text` })
    .from(rentalsTable)
    .where(changedIn(window, changeXid, rentalsTable.id))
    .orderBy(...changeOrder(changeXid, rentalsTable.id))
    .limit(input.limit);
  return changePage(
    rows,
    window,
    input.limit,
    (r) => r.rental.id,
    ({ rental }) => {
      const {
        id,
        itemId,
        ownerId,
        renterId,
        from,
        to,
        days,
        dailyPrice,
        fee,
        deposit,
        createdAt,
        confirmedAt,
        cancelledAt,
        completedAt,
        status,
      } = toRental(rental);
      return {
        id,
        itemId,
        ownerId,
        renterId,
        from,
        to,
        days,
        dailyPrice,
        fee,
        deposit,
        createdAt,
        confirmedAt,
        cancelledAt,
        completedAt,
        status,
      };
    },
  );
};
