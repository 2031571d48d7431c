import type { Hono } from 'hono';
import { bearerToken } from '../http/bearer.ts';
import { rejectUnsafeText } from '../http/input-guards.ts';
import { statusOfKind } from '../http/problem.ts';
import type { Logger } from '../observability/logger.ts';
import { childSpan, parseTraceparent, type TraceContext } from '../observability/trace.ts';
import type { Bus } from './bus.ts';
import type { CallContext } from './context.ts';
import { AppError, platformErrors } from './errors.ts';
import type { ServiceCredentials } from './service-credentials.ts';
import { INTERNAL_BUS_PATH, SERVICE_CREDENTIAL_REJECTED, wireHeaders, wireRequestSchema } from './wire.ts';

/** HTTP status of an error reply (informative only: the transport reads the typed error from the body). */
const statusOf = (error: AppError) => statusOfKind[error.kind] as 400;

/** Deadline of a call that arrived without one (a caller must send it; this bounds a bad one). */
const DEFAULT_REMAINING_MS = 10_000;

/**
 * Serves the bus calls of the modules this process hosts at POST /internal/bus/:op, for
 * callers that present a valid service credential.
 */
export function mountInternalBus(
  app: Hono<any>,
  options: { bus: Bus; credentials: ServiceCredentials; isDraining: () => boolean; log: Logger },
): void {
  app.post(`${INTERNAL_BUS_PATH}/:op`, async function internalBus(c) {
    if (!(await options.credentials.verify(bearerToken(c.req.header('authorization'))))) {
      return c.json(
        {
          error: new AppError(
            SERVICE_CREDENTIAL_REJECTED,
            'unauthorized',
            'A valid internal service credential is required.',
          ).toJSON(),
        },
        401,
      );
    }
    if (options.isDraining()) {
      return c.json(
        { error: new AppError('draining', 'unavailable', 'This instance is shutting down.').toJSON() },
        503,
      );
    }
    const opName = c.req.param('op');
    try {
      const body = wireRequestSchema.safeParse(await c.req.json());
      if (!body.success) throw platformErrors.validation([], 'Malformed internal bus request.');
      rejectUnsafeText(body.data.input);
      const remaining = Number(c.req.header(wireHeaders.deadline));
      const ctx: CallContext = {
        requestId: c.req.header(wireHeaders.requestId) ?? crypto.randomUUID(),
        // The request's own span (requestContext), so what this call publishes hangs under the hop's span.
        trace:
          (c.get('trace') as TraceContext | undefined) ??
          childSpan(parseTraceparent(c.req.header(wireHeaders.traceparent))),
        deadline: Date.now() + (Number.isFinite(remaining) && remaining > 0 ? remaining : DEFAULT_REMAINING_MS),
        ...(body.data.caller ? { caller: body.data.caller } : {}),
        ...(body.data.flags ? { flags: body.data.flags } : {}),
      };
      // Only the major must agree: a caller of another minor sends and reads what both know.
      const version = options.bus.versionOf(opName);
      if (version !== undefined && version !== body.data.contractVersion) {
        throw new AppError(
          'contractVersionMismatch',
          'internal',
          `${opName} is version ${version}; the caller was built against ${body.data.contractVersion}.`,
        );
      }
      return c.json({ output: await options.bus.dispatchRemote(opName, body.data.input, ctx) });
    } catch (error) {
      const app = error instanceof AppError ? error : platformErrors.internal();
      if (!(error instanceof AppError)) options.log.error({ err: error, op: opName }, 'internal bus call failed');
      return c.json({ error: app.toJSON() }, statusOf(app));
    }
  });
}
