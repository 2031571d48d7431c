/** How long one readiness check may take before it counts as failed (probes time out at 1 s). */
export const CHECK_TIMEOUT_MS = 700;

/** How long a readiness answer is reused: probes and health checks of many callers share one run. */
export const READINESS_TTL_MS = 1_000;

/** How long a database that answered counts as answering without being asked again. */
export const DATABASE_ANSWERED_REUSE_MS = 30_000;

/**
 * Wraps a check so its success is reused for ttlMs (an idle deployment's probes then send
 * nothing most of the time); a failure is never reused: the next readiness run asks again.
 */
export function reusingSuccess(check: () => Promise<boolean>, ttlMs: number): () => Promise<boolean> {
  let okUntil = 0;
  return async () => {
    if (Date.now() < okUntil) return true;
    const ok = await check();
    okUntil = ok ? Date.now() + ttlMs : 0;
    return ok;
  };
}

/**
 * Runs named readiness checks side by side, each bounded by CHECK_TIMEOUT_MS; a check that
 * throws or is too slow reports false. New checks are added by name (the list is open).
 */
export async function runChecks(
  checks: Record<string, () => Promise<boolean>>,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<Record<string, boolean>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await bounded(check, timeoutMs)] as const),
  );
  return Object.fromEntries(entries);
}

/**
 * Wraps a readiness function so concurrent callers share one run and its answer is reused
 * for ttlMs: a scrape storm or a dead dependency never multiplies the work.
 */
export function cachedReadiness(
  read: () => Promise<Record<string, boolean>>,
  ttlMs = READINESS_TTL_MS,
): () => Promise<Record<string, boolean>> {
  let last: { at: number; value: Promise<Record<string, boolean>> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= ttlMs) {
      const value = read().catch(() => ({ readiness: false }));
      last = { at: now, value };
    }
    return last.value;
  };
}

async function bounded(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([check().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
