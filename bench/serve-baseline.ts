import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Sql } from 'postgres';

/** Serves a baseline app on 127.0.0.1:PORT (or defaultPort) and closes it and its pool on SIGTERM / SIGINT. */
export function serveBaseline(app: Hono, sql: Sql, defaultPort: number): void {
  const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? defaultPort), hostname: '127.0.0.1' });
  const stop = () => {
    server.close();
    (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    void sql.end({ timeout: 2 }).finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
