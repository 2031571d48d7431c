import type { Logger } from '../../../shared/observability/logger.ts';

/** Runs task every intervalMs (the first time one interval after start); resolves stop, which waits for a task under way. */
export function every(intervalMs: number, task: () => Promise<void>, log: Logger): () => Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    current = task()
      .catch((error: Error) => log.warn({ err: error.message }, 'scheduled task failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  timer.unref?.();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await current;
  };
}
