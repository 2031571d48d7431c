/** An amount in minor units of a currency. */
export interface Money {
  amount: number;
  currency: string;
}

/** The listing and availability facts the catalog keeps of an item, each versioned on its own. */
export interface FieldValues {
  title: string;
  description: string;
  category: string;
  dailyPrice: Money;
  deposit: Money;
  condition: string;
  status: string;
}

export type Field = keyof FieldValues;

export const fields: readonly Field[] = [
  'title',
  'description',
  'category',
  'dailyPrice',
  'deposit',
  'condition',
  'status',
];

/** What the catalog knows of an item: each field with the item version it is from (0: unknown). */
export interface ItemState {
  itemId: string;
  ownerId: string;
  values: Partial<FieldValues>;
  versions: Record<Field, number>;
  /** The highest item version applied. */
  version: number;
  /** Set once the whole listing was seen (itemCreated or a snapshot); null for a stub. */
  listedAt: Date | null;
  updatedAt: Date;
}

/**
 * One fact about an item at a version: an event (only the fields it changed) or a snapshot
 * (every field). `listedAt` marks a fact that carries the whole listing.
 */
export interface ItemFact {
  itemId: string;
  ownerId: string;
  version: number;
  occurredAt: Date;
  values: Partial<FieldValues>;
  listedAt?: Date;
}

const noVersions = (): Record<Field, number> => ({
  title: 0,
  description: 0,
  category: 0,
  dailyPrice: 0,
  deposit: 0,
  condition: 0,
  status: 0,
});

/**
 * Applies a fact whatever the order facts arrive in: a field takes the fact's value only when
 * the fact is newer than that field's own version, so an older fact never overwrites a newer
 * one, and a newer fact that arrived first is not lost when an older one follows. Applying
 * the same facts in any order yields the same state.
 */
export function mergeItem(current: ItemState | undefined, fact: ItemFact): { state: ItemState; changed: boolean } {
  const base: ItemState = current ?? {
    itemId: fact.itemId,
    ownerId: fact.ownerId,
    values: {},
    versions: noVersions(),
    version: 0,
    listedAt: null,
    updatedAt: fact.occurredAt,
  };
  const values: Partial<FieldValues> = { ...base.values };
  const versions = { ...base.versions };
  let changed = current === undefined;
  for (const field of fields) {
    const value = fact.values[field];
    if (value === undefined || fact.version <= versions[field]) continue;
    (values as Record<Field, unknown>)[field] = value;
    versions[field] = fact.version;
    changed = true;
  }
  const newer = fact.version > base.version;
  // The earliest report of the listing wins, whichever arrives first.
  const listedAt = earliest(base.listedAt, fact.listedAt ?? null);
  if (listedAt?.getTime() !== base.listedAt?.getTime()) changed = true;
  if (newer) changed = true;
  return {
    state: {
      itemId: base.itemId,
      ownerId: base.ownerId,
      values,
      versions,
      version: Math.max(base.version, fact.version),
      listedAt,
      updatedAt: newer ? fact.occurredAt : base.updatedAt,
    },
    changed,
  };
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (!a || !b) return a ?? b;
  return a.getTime() <= b.getTime() ? a : b;
}

/** Whether an item is complete enough to be found: its whole listing has been seen. */
export function isListed(state: ItemState): boolean {
  return state.listedAt !== null;
}
