import assert from 'node:assert/strict';

/** Not there yet: eventually() keeps looking. */
type NotYet = undefined | false;

/**
 * Polls until check() returns a value other than undefined or false (an error counts as not
 * yet), or fails after timeoutMs with the last error. The wait between looks doubles from
 * 10 ms up to maxIntervalMs: a short cap for checks whose latency the test measures.
 */
export async function eventually<T>(
  what: string,
  check: () => T | NotYet | Promise<T | NotYet>,
  timeoutMs = 20_000,
  maxIntervalMs = 250,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (let wait = Math.min(10, maxIntervalMs); ; wait = Math.min(maxIntervalMs, wait * 2)) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until)
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
