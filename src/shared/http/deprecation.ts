import type { MiddlewareHandler } from 'hono';
import type { Retirement } from '../bus/contract.ts';
import type { AppEnv } from './env.ts';

/** The headers a retiring route sends: Deprecation (RFC 9745), Sunset (RFC 8594) and its successor's Link. */
export function deprecationHeaders(retirement: Retirement): Record<string, string> {
  const since = Date.parse(retirement.since);
  const sunset = Date.parse(retirement.sunset);
  if (Number.isNaN(since) || Number.isNaN(sunset) || sunset < since)
    throw new Error(`a retirement needs dates with since <= sunset: ${JSON.stringify(retirement)}`);
  return {
    // A structured-field Date: seconds since the epoch after "@".
    Deprecation: `@${Math.floor(since / 1000)}`,
    Sunset: new Date(sunset).toUTCString(),
    Link: `<${retirement.successor}>; rel="successor-version"`,
  };
}

/** Adds a retiring route's headers to every response it sends, problems included. */
export function deprecated(retirement: Retirement): MiddlewareHandler<AppEnv> {
  const headers = Object.entries(deprecationHeaders(retirement));
  return async function deprecationMiddleware(c, next) {
    await next();
    for (const [name, value] of headers) c.res.headers.set(name, value);
  };
}
