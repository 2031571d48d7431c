import { AsyncLocalStorage } from 'node:async_hooks';

/** Fields every log line written while handling a request carries. */
export interface LogContext {
  requestId: string;
  traceId?: string;
  module?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs fn with the given log context visible to the logger. */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The log context of the current async execution, if any. */
export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
