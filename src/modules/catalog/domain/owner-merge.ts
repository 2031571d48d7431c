/** An owner's public name as the catalog knows it. */
export interface OwnerState {
  displayName: string | null;
  /** When the fact this state comes from happened at its source. */
  changedAt: Date;
  deleted: boolean;
}

/** A fact about an owner: a name it was given (registered, renamed, read from identity) or its deletion. */
export type OwnerFact = { kind: 'named'; displayName: string; at: Date } | { kind: 'deleted'; at: Date };

/**
 * identity's events carry no version, so the newest fact by time wins (a tie keeps what is
 * there); a deletion is final, so a late registration or rename never brings a deleted
 * owner's name back.
 */
export function mergeOwner(current: OwnerState | undefined, fact: OwnerFact): OwnerState | undefined {
  // undefined: the fact changes nothing.
  if (current?.deleted) return undefined;
  if (fact.kind === 'deleted') return { displayName: null, changedAt: fact.at, deleted: true };
  if (current && fact.at.getTime() <= current.changedAt.getTime()) return undefined;
  return { displayName: fact.displayName, changedAt: fact.at, deleted: false };
}
