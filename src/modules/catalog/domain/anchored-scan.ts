/** An entry of a list ordered by (createdAt, id), ascending. */
export interface ScanEntry {
  id: string;
  createdAt: string;
}

/** Reads `limit` entries of the list from `offset`. */
export type FetchPage<T> = (offset: number, limit: number) => Promise<T[]>;

/**
 * Reads a whole list that only offers offset pages while it may change, without missing an
 * entry that stays in it throughout. Consecutive pages overlap by one entry (the anchor): when
 * a page does not reach back to the anchor, entries before it left the list and the rest
 * shifted back, so the scan steps back until it does. Pages may repeat entries; the consumer
 * must be idempotent. Entries that join or leave during the scan may or may not be seen: the
 * catalog learns of those from their events.
 */
export async function* anchoredScan<T extends ScanEntry>(
  fetchPage: FetchPage<T>,
  limit: number,
  maxStepsBack = 10_000,
): AsyncGenerator<T[]> {
  if (limit < 2) throw new Error('an anchored scan needs pages of at least 2 entries');
  let offset = 0;
  let anchor: T | undefined;
  let stepsBack = 0;
  for (;;) {
    const page = await fetchPage(offset, limit);
    if (anchor && offset > 0 && !reaches(page, anchor)) {
      if (++stepsBack > maxStepsBack) throw new Error('the list changed too fast to be read; try again');
      offset = Math.max(0, offset - (limit - 1));
      continue;
    }
    if (page.length > 0) yield page;
    if (page.length < limit) return;
    anchor = page.at(-1)!;
    offset += limit - 1;
  }
}

/**
 * Whether a page starts at or before the anchor. Creation times are compared to the
 * millisecond only, finer than the list may order by, so only a strictly earlier one counts.
 */
function reaches(page: readonly ScanEntry[], anchor: ScanEntry): boolean {
  if (page.some((entry) => entry.id === anchor.id)) return true;
  const first = page[0];
  return first !== undefined && Date.parse(first.createdAt) < Date.parse(anchor.createdAt);
}
