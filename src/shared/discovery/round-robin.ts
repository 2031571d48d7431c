/** Round robin: the candidate whose turn it is (`turn` counts picks; the caller increments it). */
export function roundRobin<T>(candidates: readonly T[], turn: number): T | undefined {
  if (candidates.length === 0) return undefined;
  return candidates[turn % candidates.length];
}
