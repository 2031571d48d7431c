import { roundRobin } from './round-robin.ts';

/** Least outstanding requests: the candidate with fewest requests in flight, ties taken in turn. */
export function leastOutstanding<T>(
  candidates: readonly T[],
  outstanding: (candidate: T) => number,
  turn: number,
): T | undefined {
  let fewest = Infinity;
  let ties: T[] = [];
  for (const candidate of candidates) {
    const count = outstanding(candidate);
    if (count < fewest) {
      fewest = count;
      ties = [candidate];
    } else if (count === fewest) {
      ties.push(candidate);
    }
  }
  return roundRobin(ties, turn);
}
