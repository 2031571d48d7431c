/** A periodic task: stop() waits for a run under way; wake() runs it now (or right after the run under way). */
export interface Periodic {
  stop(): Promise<void>;
  wake(): void;
}

/** Where a failing run is reported (a pino Logger or a discovery log). */
export interface WarnLog {
  warn(obj: object, msg: string): void;
}

export interface EveryOptions {
  /** Names the task in the warning logged when a run throws. */
  name: string;
  /** Run once at start instead of one interval after it. */
  immediately?: boolean;
}

/**
 * Runs task every intervalMs, one run at a time: the next interval starts when a run ends, a
 * run that throws is logged and the schedule goes on. A run that resolves to a number of ms
 * has the next run come that much later when that is sooner than the interval (work known to
 * fall due then). The platform's periodic loops (saga recovery, relay backstop, orphan sweeps,
 * ETL, purges, discovery refreshes, heartbeats and health checks, replication probes) all run
 * on this one helper.
 */
export function every(intervalMs: number, task: () => Promise<unknown>, log: WarnLog, options: EveryOptions): Periodic {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(run, ms);
    timer.unref?.();
  };
  function run() {
    clearTimeout(timer);
    if (current) {
      again = true;
      return;
    }
    let due = intervalMs;
    current = task()
      .then(
        (next) => {
          if (typeof next === 'number') due = Math.max(0, Math.min(intervalMs, next));
        },
        (error: unknown) =>
          log.warn(
            { err: error instanceof Error ? error.message : String(error), task: options.name },
            `${options.name} failed`,
          ),
      )
      .finally(() => {
        current = undefined;
        if (again) {
          again = false;
          schedule(0);
        } else schedule(due);
      });
  }

  schedule(options.immediately ? 0 : intervalMs);
  return {
    wake() {
      if (!stopped) run();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
