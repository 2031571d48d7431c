import { createHashRing, type HashRing } from '../discovery/hash-ring.ts';

/** Points on the ring in all: a weight's resolution is 1 / RING_POINTS. */
const RING_POINTS = 1_000;

/**
 * Which users go to the canary: a consistent-hash ring of two members, `canary` holding
 * `weight` of the points. A user stays on their side while the weight is unchanged; raising
 * it only moves users from stable to canary.
 */
export function canarySplit(weight: number): (key: string) => boolean {
  const canaryPoints = Math.round(Math.min(1, Math.max(0, weight)) * RING_POINTS);
  if (canaryPoints === 0) return () => false;
  if (canaryPoints === RING_POINTS) return () => true;
  const ring: HashRing<{ id: string }> = createHashRing([{ id: 'canary' }, { id: 'stable' }], (side) =>
    side.id === 'canary' ? canaryPoints : RING_POINTS - canaryPoints,
  );
  return (key) => ring.lookup(key)?.id === 'canary';
}
