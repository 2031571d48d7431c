/** When a canary is worse than stable, and when it has proven itself. */
export interface CanaryThresholds {
  /** How long the canary takes calls before it can be promoted. */
  windowMs: number;
  /** Calls each side needs before it is judged. */
  minCalls: number;
  /** Rolled back when its error ratio exceeds stable's by more than this (0.05 = 5 points). */
  maxErrorRatioDelta: number;
  /** Rolled back when its p95 latency exceeds stable's times this, plus latencySlackMs. */
  maxLatencyRatio: number;
  latencySlackMs: number;
}

/** What one side (canary or stable) did since the canary started. */
export interface SideStats {
  calls: number;
  errors: number;
  errorRatio: number;
  p95Ms: number;
}

export type CanaryVerdict =
  | { outcome: 'continue' }
  | { outcome: 'rollback' | 'promote'; reason: string; canary: SideStats; stable: SideStats };

/** Latency samples kept per side (the most recent ones). */
const MAX_SAMPLES = 5_000;

class Side {
  calls = 0;
  errors = 0;
  private readonly latencies: number[] = [];

  record(ok: boolean, ms: number): void {
    this.calls++;
    if (!ok) this.errors++;
    if (this.latencies.length >= MAX_SAMPLES) this.latencies.shift();
    this.latencies.push(ms);
  }

  stats(): SideStats {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const p95 = sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
    return {
      calls: this.calls,
      errors: this.errors,
      errorRatio: this.calls === 0 ? 0 : this.errors / this.calls,
      p95Ms: Math.round(p95),
    };
  }
}

/**
 * Compares a canary's calls with stable's since it started: rolls back as soon as the canary
 * has `minCalls` calls and its error ratio or latency is worse beyond the thresholds; promotes
 * it once `windowMs` has passed with enough calls and nothing worse.
 */
export class CanaryJudge {
  private readonly canary = new Side();
  private readonly stable = new Side();
  private readonly startedAt: number;

  constructor(
    private readonly thresholds: CanaryThresholds,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  record(side: 'canary' | 'stable', ok: boolean, ms: number): void {
    this[side].record(ok, ms);
  }

  verdict(): CanaryVerdict {
    const { minCalls, maxErrorRatioDelta, maxLatencyRatio, latencySlackMs, windowMs } = this.thresholds;
    if (this.canary.calls < minCalls) return { outcome: 'continue' };
    const canary = this.canary.stats();
    const stable = this.stable.stats();
    if (canary.errorRatio - stable.errorRatio > maxErrorRatioDelta) {
      const reason = `error ratio ${pct(canary.errorRatio)} against stable's ${pct(stable.errorRatio)} (allowed +${pct(maxErrorRatioDelta)})`;
      return { outcome: 'rollback', reason, canary, stable };
    }
    if (stable.calls >= minCalls && canary.p95Ms > stable.p95Ms * maxLatencyRatio + latencySlackMs) {
      const reason = `p95 latency ${canary.p95Ms} ms against stable's ${stable.p95Ms} ms (allowed ×${maxLatencyRatio} + ${latencySlackMs} ms)`;
      return { outcome: 'rollback', reason, canary, stable };
    }
    if (this.now() - this.startedAt >= windowMs) {
      const reason = `healthy for ${windowMs} ms over ${canary.calls} calls`;
      return { outcome: 'promote', reason, canary, stable };
    }
    return { outcome: 'continue' };
  }
}

const pct = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
