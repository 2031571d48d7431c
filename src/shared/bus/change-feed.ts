import { z } from 'zod';

const xid = z.string().regex(/^\d{1,20}$/, 'must be a transaction id (digits)');

/**
 * Input of a module's export query: rows changed by transactions with ids in [since, until),
 * a page at a time in (change transaction, key) order. `until` is the source's safe point
 * (every transaction below it has ended); omit it on the first page and pass back the one it
 * answered, so every page of one extraction reads the same window.
 */
export const changeFeedInput = z.strictObject({
  since: xid.default('0').describe('The until of the last completed extraction; 0 for everything'),
  until: xid.optional().describe('The until answered by the first page of this extraction'),
  after: z
    .string()
    .regex(/^\d{1,20}:[0-9A-Za-z-]{1,64}$/)
    .optional()
    .describe('next of the previous page; omit for the first page'),
  limit: z.int().min(1).max(5_000).default(1_000),
});

/** Output of an export query whose rows have the given shape. */
export function changeFeedOutput<R extends z.ZodType>(row: R) {
  return z.object({
    rows: z.array(row),
    next: z.string().nullable().describe('Pass as after for the next page; null on the last page'),
    until: xid.describe('The safe point this extraction reads up to: the since of the next one'),
  });
}

export type ChangeFeedInput = z.output<typeof changeFeedInput>;
