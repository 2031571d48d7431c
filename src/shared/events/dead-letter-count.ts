import { count, isNull } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import type { DeadLetterTable } from './tables.ts';

/** Dead letters not yet replayed, per consumer. */
export async function countDeadLetters(
  db: Db,
  deadLetters: DeadLetterTable,
): Promise<{ consumer: string; count: number }[]> {
  const rows = await db
    .select({ consumer: deadLetters.consumer, count: count() })
    .from(deadLetters)
    .where(isNull(deadLetters.replayedAt))
    .groupBy(deadLetters.consumer);
  return rows.map((r) => ({ consumer: r.consumer, count: Number(r.count) }));
}
