import { randomUUID } from 'node:crypto';
import type { EvaluatedFlags } from '../flags/evaluated-flags.ts';
import { childSpan, type TraceContext } from '../observability/trace.ts';

/** Who is calling: set at the edge after the access token is validated. */
export interface Caller {
  userId: string;
  role: string;
  sessionId?: string;
}

/** Travels with every bus call, in-process or across a hop. */
export interface CallContext {
  requestId: string;
  trace: TraceContext;
  caller?: Caller;
  /** Epoch milliseconds after which the call is abandoned. */
  deadline: number;
  /** Feature flags evaluated once for this request at the edge; carried across hops, never evaluated again. */
  flags?: EvaluatedFlags;
}

/** A context for work that starts inside the platform (startup, CLI, tests). */
export function systemContext(options: { timeoutMs?: number; caller?: Caller } = {}): CallContext {
  return {
    requestId: randomUUID(),
    trace: childSpan(),
    deadline: Date.now() + (options.timeoutMs ?? 30_000),
    ...(options.caller ? { caller: options.caller } : {}),
  };
}
