/** An item event as the warehouse keeps it (fact_item_event): only the facts the event carried are set. */
export interface ItemEventFacts {
  itemId: string;
  version: number;
  eventType: string;
  occurredAt: string;
  ownerId: string | null;
  title: string | null;
  category: string | null;
  currency: string | null;
  dailyPrice: number | null;
  deposit: number | null;
  statusTo: string | null;
}

/** One row of the item dimension: the item's listing while its price and category stayed the same. */
export interface ItemVersion {
  itemKey: string;
  itemId: string;
  ownerId: string;
  title: string;
  category: string;
  currency: string;
  dailyPrice: number;
  deposit: number;
  validFrom: string;
  validTo: string | null;
  isCurrent: boolean;
  listedAt: string;
  retiredAt: string | null;
}

/**
 * Slowly changing dimension, type 2 on price and category: replays one item's events in
 * version order and opens a new version whenever its category, currency, daily price or deposit
 * changes. Title, owner and retirement are type 1 (every version shows the latest). An item
 * whose history does not start with its listing (not loaded yet) has no versions.
 */
export function itemVersions(events: readonly ItemEventFacts[]): ItemVersion[] {
  const sorted = [...events].sort((a, b) => a.version - b.version);
  const first = sorted[0];
  if (
    !first ||
    first.ownerId === null ||
    first.category === null ||
    first.currency === null ||
    first.dailyPrice === null ||
    first.deposit === null
  )
    return [];
  const versions: Omit<ItemVersion, 'title' | 'ownerId' | 'listedAt' | 'retiredAt' | 'isCurrent'>[] = [];
  let state = {
    title: first.title ?? '',
    category: first.category,
    currency: first.currency,
    dailyPrice: first.dailyPrice,
    deposit: first.deposit,
  };
  let retiredAt: string | null = null;
  const open = (at: string, version: number) =>
    versions.push({
      itemKey: `${first.itemId}/${version}`,
      itemId: first.itemId,
      category: state.category,
      currency: state.currency,
      dailyPrice: state.dailyPrice,
      deposit: state.deposit,
      validFrom: at,
      validTo: null,
    });
  open(first.occurredAt, first.version);
  for (const event of sorted.slice(1)) {
    if (event.statusTo === 'retired') retiredAt = event.occurredAt;
    const next = {
      title: event.title ?? state.title,
      category: event.category ?? state.category,
      currency: event.currency ?? state.currency,
      dailyPrice: event.dailyPrice ?? state.dailyPrice,
      deposit: event.deposit ?? state.deposit,
    };
    const changed =
      next.category !== state.category ||
      next.currency !== state.currency ||
      next.dailyPrice !== state.dailyPrice ||
      next.deposit !== state.deposit;
    state = next;
    if (changed) {
      versions.at(-1)!.validTo = event.occurredAt;
      open(event.occurredAt, event.version);
    }
  }
  return versions.map((v, i) => ({
    ...v,
    ownerId: first.ownerId!,
    title: state.title,
    listedAt: first.occurredAt,
    retiredAt,
    isCurrent: i === versions.length - 1,
  }));
}
