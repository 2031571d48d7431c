import { AppError } from '../bus/errors.ts';
import { MemoryCache } from '../cache/memory-cache.ts';

/** How long a public response may be served stale when its service is down. */
const STALE_SECONDS = 600;

/**
 * The fallback of public GETs: remembers the last good reply per URL and serves it, marked
 * stale, when the owning service is unavailable or too slow.
 */
export class StaleFallback {
  private readonly replies = new MemoryCache(10_000);

  async run<T>(url: string, call: () => Promise<T>): Promise<{ value: T; stale: boolean }> {
    try {
      const value = await call();
      await this.replies.set(url, JSON.stringify(value), STALE_SECONDS);
      return { value, stale: false };
    } catch (error) {
      const outage = error instanceof AppError && (error.kind === 'unavailable' || error.kind === 'timeout');
      const last = outage ? await this.replies.get(url) : undefined;
      if (last === undefined) throw error;
      return { value: JSON.parse(last) as T, stale: true };
    }
  }
}

/** Response headers that mark a stale reply (RFC 9111 Warning is obsolete; both are sent for clients). */
export const staleHeaders = { warning: '110 - "Response is Stale"', 'x-shareloop-stale': 'true' } as const;
