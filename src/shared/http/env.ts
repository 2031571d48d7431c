import type { CallContext, Caller } from '../bus/context.ts';
import type { TraceContext } from '../observability/trace.ts';

/** Typed Hono context variables set by the platform middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    trace: TraceContext;
    caller: Caller | undefined;
    /** The bus context of an authenticated contract route, set before its input is validated. */
    callContext: CallContext | undefined;
  };
}
