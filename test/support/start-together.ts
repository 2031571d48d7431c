/** Something a test starts and must stop: a topology, service processes, a test host. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Awaits things started side by side. When one fails to start, the others that did start
 * are stopped before the first failure is thrown, so no process outlives a failed `before`.
 */
export async function startTogether<const T extends readonly Promise<Stoppable>[]>(
  starts: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    await Promise.allSettled(started.map((s) => s.stop()));
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<Stoppable>).value) as never;
}
