/**
 * Runs work for items grouped into lanes by key: the items of one lane one after another, in
 * the order given; at most `limit` lanes at once. Consumers use it to apply the events of
 * different aggregates side by side while each aggregate's events stay in order. A failure
 * stops the lanes from going on; it is thrown once every lane running has come to a stop.
 */
export async function inLanes<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  limit: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  const lanes = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const lane = lanes.get(key);
    if (lane) lane.push(item);
    else lanes.set(key, [item]);
  }
  const queue = [...lanes.values()];
  let failed = false;
  const worker = async () => {
    for (let lane = queue.shift(); lane && !failed; lane = queue.shift()) {
      for (const item of lane) {
        if (failed) return;
        await run(item).catch((error: unknown) => {
          failed = true;
          throw error;
        });
      }
    }
  };
  const ended = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, queue.length)) }, worker));
  const failure = ended.find((e) => e.status === 'rejected');
  if (failure) throw failure.reason;
}
