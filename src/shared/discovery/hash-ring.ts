import { hash32 } from './hash32.ts';

/** A consistent-hash ring over some members; lookups are sticky while membership is unchanged. */
export interface HashRing<T> {
  /** The member owning `key`, or undefined when the ring is empty. */
  lookup(key: string): T | undefined;
}

/**
 * Builds a ring with `vnodes` points per member (hashes of `<id>#<n>`), so keys spread
 * evenly and removing a member remaps only the keys it owned. With a function, each member
 * gets its own number of points: its share of the keys (a weighted ring).
 */
export function createHashRing<T extends { id: string }>(
  members: readonly T[],
  vnodes: number | ((member: T) => number) = 100,
): HashRing<T> {
  const points: { hash: number; owner: number }[] = [];
  members.forEach((member, owner) => {
    const count = typeof vnodes === 'number' ? vnodes : vnodes(member);
    for (let n = 0; n < count; n++) points.push({ hash: hash32(`${member.id}#${n}`), owner });
  });
  // Ties (hash collisions) go to the smaller id, so every process builds the same ring.
  points.sort((a, b) => a.hash - b.hash || compare(members[a.owner]!.id, members[b.owner]!.id));
  const hashes = Uint32Array.from(points, (p) => p.hash);
  const owners = Uint32Array.from(points, (p) => p.owner);

  return {
    lookup(key) {
      if (hashes.length === 0) return undefined;
      const h = hash32(key);
      // First point clockwise from h (binary search), wrapping past the end.
      let lo = 0;
      let hi = hashes.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (hashes[mid]! < h) lo = mid + 1;
        else hi = mid;
      }
      return members[owners[lo === hashes.length ? 0 : lo]!];
    },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
