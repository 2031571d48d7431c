import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { RedisClient } from '../../shared/cache/redis-client.ts';
import { z } from 'zod';
import type { Caller } from '../../shared/bus/context.ts';
import { AppError, platformErrors } from '../../shared/bus/errors.ts';
import type { App } from '../../shared/http/app.ts';
import { bearerToken } from '../../shared/http/bearer.ts';
import { requestCallContext, type Authenticate } from '../../shared/http/contract-routes.ts';
import type { AppEnv } from '../../shared/http/env.ts';
import { problemSchema, toProblem } from '../../shared/http/problem.ts';
import type { Logger } from '../../shared/observability/logger.ts';
import { notificationSchema } from './contract.ts';
import { liveFeed, type LiveFeed, type Notification } from './live/live-feed.ts';

export interface NotificationStreamOptions {
  authenticate: Authenticate;
  timeoutMs: number;
  redis: RedisClient | undefined;
  log: Logger;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number;
  /** The token is checked again this often: a stream ends this soon after its session is revoked or expires. */
  revalidateMs?: number;
  /** Streams one user may hold open at once on this process; more get 429. */
  maxStreamsPerUser?: number;
  /** Writes allowed to queue for a client that does not read before its stream is closed. */
  maxPendingWrites?: number;
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

const route = createRoute({
  method: 'get',
  path: '/v1/notifications/stream',
  operationId: 'notifications.streamNotifications',
  tags: ['Notifications'],
  summary: 'Stream my new notifications (server-sent events)',
  description: [
    "A text/event-stream of the caller's notifications as they are created, and only the caller's.",
    'Events: `ready` once the stream listens (notifications created before it are not replayed: list them with GET /v1/notifications);',
    '`notification` with a Notification as JSON data and its id as the event id; `error` with a problem as JSON data just before the server ends the stream',
    '(the token expired or was revoked: within about 2 s of a logout or password change). A comment line is sent every 15 s as a heartbeat.',
    'A user may hold a few streams open at once (NOTIFICATION_STREAMS_PER_USER, default 5); more get 429.',
    "Authenticate with `Authorization: Bearer <access token>`. Browsers' EventSource cannot send headers, so the access token is also accepted as",
    'the `access_token` query parameter (RFC 6750 §2.3), on this route only: prefer the header wherever you can, since URLs may be logged by proxies.',
  ].join(' '),
  security: [{ bearerAuth: [] }],
  request: {
    query: z.object({
      access_token: z
        .string()
        .min(1)
        .max(4096)
        .optional()
        .describe('The access token, for clients that cannot send an Authorization header (EventSource)'),
    }),
  },
  responses: {
    200: {
      description: 'The event stream; it stays open until the client leaves or the token stops being valid',
      content: {
        'text/event-stream': {
          schema: z.string().describe('event: notification\\nid: <notification id>\\ndata: <Notification JSON>\\n\\n'),
        },
      },
    },
    400: problem('Problem: validationFailed'),
    401: problem('Problem: unauthorized'),
    429: problem('Problem: rateLimited, tooManyStreams'),
    500: problem('Problem: internal'),
    503: problem('Problem: serviceUnavailable'),
  },
});

/** The bearer token of a stream request: the Authorization header, else the access_token query parameter. */
function tokenOf(c: Context<AppEnv>): string {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    // A malformed header is refused, never overridden by the query.
    const token = bearerToken(header);
    if (!token) throw platformErrors.unauthorized();
    return token;
  }
  const token = c.req.query('access_token');
  if (!token) throw platformErrors.unauthorized();
  return token;
}

/**
 * GET /v1/notifications/stream: the caller's new notifications as server-sent events, fed by
 * the live feed (Redis pub/sub, so the process serving the stream need not be the one that
 * writes notifications).
 */
export function mountNotificationStream(app: App, options: NotificationStreamOptions): void {
  const { authenticate, timeoutMs, log } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const revalidateMs = options.revalidateMs ?? 2_000;
  const maxStreams = options.maxStreamsPerUser ?? 5;
  const maxPending = options.maxPendingWrites ?? 256;
  const feed: LiveFeed = liveFeed(options.redis, log);
  /** Open streams per user on this process. */
  const open = new Map<string, number>();

  app.openapi(route, async (c) => {
    const token = tokenOf(c as never);
    const check = () => authenticate(token, requestCallContext(c as never, timeoutMs));
    const caller = await check();
    c.set('caller', caller);
    const held = open.get(caller.userId) ?? 0;
    if (held >= maxStreams) {
      throw new AppError(
        'tooManyStreams',
        'rate_limited',
        `At most ${maxStreams} notification streams may be open at once; close one first.`,
        { retryAfterSeconds: 5 },
      );
    }
    open.set(caller.userId, held + 1);
    const release = () => {
      const left = (open.get(caller.userId) ?? 1) - 1;
      if (left > 0) open.set(caller.userId, left);
      else open.delete(caller.userId);
    };

    const response = streamSSE(c, async (stream) => {
      try {
        await serve(stream, caller, check);
      } finally {
        release();
      }
    });
    response.headers.set('cache-control', 'no-store');
    // Reverse proxies such as nginx would otherwise buffer the stream.
    response.headers.set('x-accel-buffering', 'no');
    return response as never;
  });

  /** Streams until the client leaves, stops reading, or its token is no longer valid. */
  async function serve(stream: SSEStreamingApi, caller: Caller, check: () => Promise<Caller>): Promise<void> {
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    stream.onAbort(() => ended());

    // One write at a time, in order; a client that stops reading is dropped, not buffered forever.
    let pending = 0;
    let writing = Promise.resolve();
    const send = (write: () => Promise<unknown>) => {
      if (stream.aborted || stream.closed) return;
      if (++pending > maxPending) {
        log.warn({ userId: caller.userId }, 'notification stream dropped: the client is not reading');
        stream.abort();
        return;
      }
      writing = writing.then(write).then(
        () => void pending--,
        () => stream.abort(),
      );
    };
    const notify = (notification: Notification) => {
      if (notification.userId !== caller.userId) return;
      const checked = notificationSchema.safeParse(notification);
      if (checked.success)
        send(() => stream.writeSSE({ event: 'notification', id: checked.data.id, data: JSON.stringify(checked.data) }));
    };

    let unsubscribe: () => Promise<void>;
    try {
      unsubscribe = await feed.subscribe(caller.userId, notify);
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'notification stream could not listen');
      await stream.writeSSE({
        event: 'error',
        data: JSON.stringify(
          toProblem(platformErrors.unavailable('Live notifications are unavailable; retry shortly.'), route.path),
        ),
      });
      return;
    }
    const heartbeat = setInterval(() => send(() => stream.write(': heartbeat\n\n')), heartbeatMs);
    const revalidate = setInterval(() => {
      check().catch((error: unknown) => {
        if (!(error instanceof AppError) || error.kind !== 'unauthorized') return; // identity unreachable: keep streaming
        send(() => stream.writeSSE({ event: 'error', data: JSON.stringify(toProblem(error, route.path)) }));
        send(async () => ended());
      });
    }, revalidateMs);
    try {
      send(() => stream.writeSSE({ event: 'ready', data: JSON.stringify({ userId: caller.userId }), retry: 3000 }));
      await done;
    } finally {
      clearInterval(heartbeat);
      clearInterval(revalidate);
      await unsubscribe().catch(() => {});
    }
  }
}
