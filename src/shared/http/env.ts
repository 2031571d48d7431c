import type { Caller } from '../bus/context.ts';
import type { TraceContext } from '../observability/trace.ts';

/** Typed Hono context variables set by the platform middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    trace: TraceContext;
    caller: Caller | undefined;
  };
}
