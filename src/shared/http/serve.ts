import type { Socket } from 'node:net';
import { serve as serveNode } from '@hono/node-server';
import { AppError } from '../bus/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { problemType, toProblem } from './problem.ts';

/** How long in-flight requests get to finish on shutdown before connections are cut. */
const DRAIN_GRACE_MS = 5_000;

/** A listening HTTP server that can drain and close. */
export interface Server {
  port: number;
  close(): Promise<void>;
}

type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Listens with Bun.serve under Bun and @hono/node-server under Node. */
export async function listen(
  fetch: FetchHandler,
  options: { port: number; host: string; log: Logger },
): Promise<Server> {
  if (typeof Bun !== 'undefined') {
    const server = Bun.serve({ fetch, port: options.port, hostname: options.host });
    return { port: server.port ?? options.port, close: async () => server.stop(false) };
  }
  return new Promise((resolve, reject) => {
    const server = serveNode({ fetch, port: options.port, hostname: options.host }, (info) => {
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            const http = server as unknown as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
            // Long-lived streams (SSE) would hold close() open: after a grace period they are cut.
            const grace = setTimeout(() => http.closeAllConnections?.(), DRAIN_GRACE_MS);
            server.close(() => {
              clearTimeout(grace);
              done();
            });
            // Idle keep-alive sockets would hold close() open; in-flight requests still finish.
            http.closeIdleConnections?.();
          }),
      });
    });
    server.once('error', reject);
    server.on('clientError', answerClientError);
  });
}

/** Node's own parse errors (headers too large, a bad request line, a slow request): a problem+json, then close. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, problem] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          {
            type: problemType('headersTooLarge'),
            title: 'Request Header Fields Too Large',
            status: 431,
            detail: 'The request headers are too large.',
            code: 'headersTooLarge',
          },
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [
            408,
            'Request Timeout',
            {
              type: problemType('requestTimeout'),
              title: 'Request Timeout',
              status: 408,
              detail: 'The request was not received in time.',
              code: 'requestTimeout',
            },
          ]
        : [
            400,
            'Bad Request',
            toProblem(new AppError('malformedRequest', 'invalid', 'The request is not valid HTTP.')),
          ];
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** A repeat of the signal within this time is the same request, not an impatient second one. */
const REPEAT_SIGNAL_MS = 1_000;

/**
 * Runs stop once on SIGTERM or SIGINT, then exits; a second signal exits at once. A repeat
 * within a second is ignored: Ctrl-C under `npm start` delivers SIGINT twice (from the
 * terminal, and forwarded by npm).
 */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stoppingSince: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < REPEAT_SIGNAL_MS) return;
      process.exit(1);
    }
    stoppingSince = Date.now();
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    stop().then(
      () => {
        log.info('stopped');
        // Exit once the asynchronous log destination has flushed (else Bun may lose the tail).
        log.flush(() => process.exit(0));
      },
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
