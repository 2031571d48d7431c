import { z } from 'zod';
import { envSettings } from '../config/env-settings.ts';
import type { CanaryThresholds } from './canary-judge.ts';

const schema = z.object({
  // How long a canary takes calls before promotion, and the calls each side needs to be judged.
  CANARY_WINDOW_MS: z.coerce.number().int().min(100).default(60_000),
  CANARY_MIN_CALLS: z.coerce.number().int().min(1).default(20),
  // Rollback when the canary's error ratio exceeds stable's by more than this…
  CANARY_MAX_ERROR_RATIO_DELTA: z.coerce.number().min(0).max(1).default(0.05),
  // …or its p95 latency exceeds stable's × this + the slack.
  CANARY_MAX_LATENCY_RATIO: z.coerce.number().min(1).default(1.5),
  CANARY_LATENCY_SLACK_MS: z.coerce.number().int().min(0).default(50),
  // Mirrored calls in flight at most per module, and how long one may take.
  SHADOW_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  SHADOW_TIMEOUT_MS: z.coerce.number().int().min(10).default(2_000),
});

/** The gateway's (and every caller's) rollout settings: canary judgment and shadow limits. */
export interface RolloutSettings {
  canary: CanaryThresholds;
  shadowConcurrency: number;
  shadowTimeoutMs: number;
}

/** Reads CANARY_* and SHADOW_* from an environment; throws a one-line ConfigError on a bad value. */
export function rolloutSettings(env: Record<string, string | undefined>): RolloutSettings {
  const s = envSettings(schema, env);
  return {
    canary: {
      windowMs: s.CANARY_WINDOW_MS,
      minCalls: s.CANARY_MIN_CALLS,
      maxErrorRatioDelta: s.CANARY_MAX_ERROR_RATIO_DELTA,
      maxLatencyRatio: s.CANARY_MAX_LATENCY_RATIO,
      latencySlackMs: s.CANARY_LATENCY_SLACK_MS,
    },
    shadowConcurrency: s.SHADOW_CONCURRENCY,
    shadowTimeoutMs: s.SHADOW_TIMEOUT_MS,
  };
}
