/** The outcome of one active health check. */
export interface HealthResult {
  ok: boolean;
  /** Why it failed, e.g. `HTTP 503` or `timeout after 1000 ms`. */
  reason?: string;
}

/** GETs `url`; healthy on a 2xx answer within `timeoutMs`. Never throws. */
export async function checkHealth(
  url: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<HealthResult> {
  const { timeoutMs, signal } = options;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await fetch(url, {
      signal: controller.signal,
      redirect: 'manual',
      headers: { accept: 'application/json' },
    });
    await response.arrayBuffer(); // drain, so the connection can be reused
    return response.ok ? { ok: true } : { ok: false, reason: `HTTP ${response.status}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, reason: timedOut ? `timeout after ${timeoutMs} ms` : (cause ?? (err as Error).message) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
