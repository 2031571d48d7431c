/** Rebuilds running in this process: started by the rebuild command, stopped with the module. */
export interface BackgroundRebuilds {
  start(rebuildId: string, run: (signal: AbortSignal) => Promise<void>): void;
  /** Aborts every running rebuild and waits for each to record its outcome. */
  stop(): Promise<void>;
}

export function backgroundRebuilds(): BackgroundRebuilds {
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  return {
    start(rebuildId, run) {
      const controller = new AbortController();
      const done = run(controller.signal)
        .catch(() => {})
        .finally(() => running.delete(rebuildId));
      running.set(rebuildId, { controller, done });
    },
    async stop() {
      for (const { controller } of running.values()) controller.abort();
      await Promise.all([...running.values()].map((r) => r.done));
    },
  };
}
