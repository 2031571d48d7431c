import { and, eq, ne, type SQL } from 'drizzle-orm';
import { items } from '../db/schema.ts';

/** Which items a listing shows: by status (every status but retired unless asked), category, owner and currency. */
export function itemFilters(input: {
  status?: (typeof items.$inferSelect)['status'] | undefined;
  category?: string | undefined;
  ownerId?: string | undefined;
  currency?: string | undefined;
}): SQL {
  const filters: SQL[] = [input.status ? eq(items.status, input.status) : ne(items.status, 'retired')];
  if (input.category) filters.push(eq(items.category, input.category));
  if (input.ownerId) filters.push(eq(items.ownerId, input.ownerId));
  if (input.currency) filters.push(eq(items.currency, input.currency));
  return and(...filters)!;
}
