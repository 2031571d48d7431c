import { Agent, request } from 'undici';
import { formatTraceparent } from '../observability/trace.ts';
import { HopFailure } from '../resilience/hop-failure.ts';
import type { Endpoint, TargetPolicy } from '../resilience/target-policy.ts';
import type { RemoteTransport } from './bus.ts';
import type { Op } from './contract.ts';
import type { CallContext } from './context.ts';
import { AppError } from './errors.ts';
import type { ServiceCredentials } from './service-credentials.ts';
import {
  INTERNAL_BUS_PATH,
  SERVICE_CREDENTIAL_REJECTED,
  wireHeaders,
  wireReplySchema,
  type WireRequest,
} from './wire.ts';

/** Picks instances of the target module (discovery + health + load balancing). */
export interface InstanceSelector {
  pick(avoid: ReadonlySet<string>, key: string | undefined): Endpoint | undefined;
  /**
   * Marks a request in flight; the returned function ends it with its outcome (`ok`: the
   * instance answered, even with a typed error) and what was thrown, if anything.
   */
  begin(endpoint: Endpoint): (ok: boolean, error?: unknown) => void;
}

/** One keep-alive connection pool per process for every hop (fetch() is ~3x costlier per call). */
export const sharedAgent = new Agent({ keepAliveTimeout: 10_000, connections: 128, pipelining: 1 });

/**
 * Sends bus calls to instances of a module in other processes over HTTP, through the
 * target's resilience policy. The remaining deadline bounds each attempt.
 */
export class HttpTransport implements RemoteTransport {
  constructor(
    private readonly options: {
      module: string;
      selector: InstanceSelector;
      policy: TargetPolicy;
      credentials: ServiceCredentials;
      agent?: Agent;
    },
  ) {}

  call(op: Op, input: unknown, ctx: CallContext): Promise<unknown> {
    const body: WireRequest = {
      input,
      contractVersion: op.version,
      ...(op.minor !== undefined ? { contractMinor: op.minor } : {}),
      ...(ctx.caller ? { caller: ctx.caller } : {}),
      ...(ctx.flags ? { flags: ctx.flags } : {}),
    };
    const payload = JSON.stringify(body);
    const key = ctx.caller?.userId;
    return this.options.policy.execute({
      retrySafe: op.kind === 'query' || op.idempotent === true,
      ...(op.timeoutMs !== undefined ? { timeoutMs: op.timeoutMs } : {}),
      deadline: ctx.deadline,
      pick: (avoid) => this.options.selector.pick(avoid, key),
      send: (endpoint, signal) => this.send(endpoint, op, payload, ctx, signal),
    });
  }

  private async send(
    endpoint: Endpoint,
    op: Op,
    payload: string,
    ctx: CallContext,
    signal: AbortSignal,
  ): Promise<unknown> {
    const end = this.options.selector.begin(endpoint);
    let ok = false;
    let thrown: unknown;
    try {
      const response = await request(`${endpoint.url}${INTERNAL_BUS_PATH}/${op.name}`, {
        method: 'POST',
        dispatcher: this.options.agent ?? sharedAgent,
        signal,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await this.options.credentials.token()}`,
          [wireHeaders.requestId]: ctx.requestId,
          [wireHeaders.traceparent]: formatTraceparent(ctx.trace),
          [wireHeaders.deadline]: String(Math.max(0, ctx.deadline - Date.now())),
        },
        body: payload,
      });
      const text = await response.body.text();
      const reply = wireReplySchema.safeParse(safeJson(text));
      if (!reply.success) {
        throw new HopFailure(
          'status',
          endpoint.id,
          true,
          `${endpoint.id} answered ${response.statusCode} without a bus reply`,
        );
      }
      if ('error' in reply.data) {
        const error = AppError.fromJSON(reply.data.error);
        if (error.code === SERVICE_CREDENTIAL_REJECTED) {
          throw new AppError('internal', 'internal', 'An internal call was refused; check INTERNAL_SERVICE_SECRET.');
        }
        // A draining instance refused the call before running it: safe to send elsewhere.
        if (error.code === 'draining')
          throw new HopFailure('draining', endpoint.id, false, `${endpoint.id} is draining`);
        // The instance answered with a typed error: it is reachable and working, whatever the error
        // (a 500 for one odd input must not eject it). Only transport failures count against it.
        ok = true;
        throw error;
      }
      ok = true;
      return reply.data.output;
    } catch (error) {
      thrown = error;
      throw error;
    } finally {
      end(ok, thrown);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
