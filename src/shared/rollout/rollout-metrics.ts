import { Counter, type Registry } from 'prom-client';

/** Counters of rollout decisions and shadow comparisons, on a process's registry. */
export function rolloutMetrics(registry: Registry) {
  const existing = <L extends string>(name: string) => registry.getSingleMetric(name) as Counter<L> | undefined;
  return {
    decisions:
      existing<'module' | 'outcome'>('rollout_decisions_total') ??
      new Counter({
        name: 'rollout_decisions_total',
        help: 'Canary decisions this process made and applied, by module and outcome (promoted, rolled_back)',
        labelNames: ['module', 'outcome'] as const,
        registers: [registry],
      }),
    shadowComparisons:
      existing<'module' | 'outcome'>('shadow_comparisons_total') ??
      new Counter({
        name: 'shadow_comparisons_total',
        help: 'Mirrored calls to a shadow version by module and outcome (match, mismatch, failed, skipped)',
        labelNames: ['module', 'outcome'] as const,
        registers: [registry],
      }),
    versionCalls:
      existing<'module' | 'version' | 'outcome'>('rollout_version_calls_total') ??
      new Counter({
        name: 'rollout_version_calls_total',
        help: 'Calls sent to a module by the build version of the instance that took them, and outcome (ok, error)',
        labelNames: ['module', 'version', 'outcome'] as const,
        registers: [registry],
      }),
  };
}

export type RolloutMetrics = ReturnType<typeof rolloutMetrics>;
