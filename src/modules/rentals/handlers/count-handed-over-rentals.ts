import { and, count, eq, or } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import type { rentals } from '../contract.ts';
import { rentalsTable } from '../db/schema.ts';
import type { RentalsDeps } from '../deps.ts';

/** Active rentals (handed over, not returned) with the user as renter or owner: while there are any, the account stays. */
export const countHandedOverRentals: Handler<typeof rentals.ops.countHandedOverRentals, RentalsDeps> = async (
  input,
  { deps, caller },
) => {
  if (caller && caller.role !== 'admin') throw platformErrors.forbidden('Only admins and the platform count these.');
  const [row] = await deps.db
    .select({ n: count() })
    .from(rentalsTable)
    .where(
      and(
        eq(rentalsTable.status, 'active'),
        or(eq(rentalsTable.renterId, input.userId), eq(rentalsTable.ownerId, input.userId)),
      ),
    );
  return { count: row?.n ?? 0 };
};
