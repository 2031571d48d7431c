import { AppError } from '../bus/errors.ts';

/** How long a public response may be served stale when its service is down. */
const STALE_SECONDS = 600;

/**
 * The fallback of public GETs: remembers the last good reply per URL and serves it, marked
 * stale, when the owning service is unavailable or too slow. Replies are kept as they are
 * (plain JSON values nothing mutates), at most maxEntries, least recently stored out first.
 */
export class StaleFallback {
  private readonly replies = new Map<string, { value: unknown; until: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  async run<T>(url: string, call: () => Promise<T>): Promise<{ value: T; stale: boolean }> {
    try {
      const value = await call();
      this.replies.delete(url);
      this.replies.set(url, { value, until: Date.now() + STALE_SECONDS * 1000 });
      if (this.replies.size > this.maxEntries) this.replies.delete(this.replies.keys().next().value!);
      return { value, stale: false };
    } catch (error) {
      const outage = error instanceof AppError && (error.kind === 'unavailable' || error.kind === 'timeout');
      const last = outage ? this.replies.get(url) : undefined;
      if (last === undefined || last.until <= Date.now()) throw error;
      return { value: last.value as T, stale: true };
    }
  }
}

/** Response headers that mark a stale reply (RFC 9111 Warning is obsolete; both are sent for clients). */
export const staleHeaders = { warning: '110 - "Response is Stale"', 'x-shareloop-stale': 'true' } as const;
