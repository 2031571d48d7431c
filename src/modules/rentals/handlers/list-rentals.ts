import { and, count, desc, eq, or } from 'drizzle-orm';
import type { Handler } from '../../../shared/bus/bus.ts';
import type { rentals } from '../contract.ts';
import { rentalsTable } from '../db/schema.ts';
import type { RentalsDeps } from '../deps.ts';
import { viewerOf } from './find-rental.ts';
import { toRental } from './rental-view.ts';

export const listRentals: Handler<typeof rentals.ops.listRentals, RentalsDeps> = async (input, ctx) => {
  const { userId } = viewerOf(ctx);
  const asRenter = eq(rentalsTable.renterId, userId);
  const asOwner = eq(rentalsTable.ownerId, userId);
  const mine = input.role === 'renter' ? asRenter : input.role === 'owner' ? asOwner : or(asRenter, asOwner);
  const where = and(mine, input.status ? eq(rentalsTable.status, input.status) : undefined);
  const { db } = ctx.deps;
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(rentalsTable)
      .where(where)
      .orderBy(desc(rentalsTable.createdAt), desc(rentalsTable.id))
      .limit(input.limit)
      .offset(input.offset),
    db.select({ n: count() }).from(rentalsTable).where(where),
  ]);
  return { rentals: rows.map(toRental), total: total?.n ?? 0, limit: input.limit, offset: input.offset };
};
