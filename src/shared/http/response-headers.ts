import type { Context } from 'hono';

/**
 * Sets headers on a request's response. Once the handler has answered, they go onto its
 * response in place: c.header() would rebuild it (~40 µs, and under @hono/node-server it
 * turns a body sent from memory into a stream). A response with immutable headers (a
 * proxied fetch Response) is rebuilt by c.header() after all.
 */
export function setResponseHeaders(c: Context, headers: Record<string, string>): void {
  if (c.finalized) {
    try {
      for (const name in headers) c.res.headers.set(name, headers[name]!);
      return;
    } catch {
      // immutable headers: fall through
    }
  }
  for (const name in headers) c.header(name, headers[name]);
}
