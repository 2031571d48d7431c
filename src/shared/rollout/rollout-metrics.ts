import { Counter, type Registry } from 'prom-client';

/** Counters of rollout decisions, calls by version and shadow comparisons, on a process's registry. */
export function rolloutMetrics(registry: Registry) {
  // One set per registry, however many modules route through it.
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    decisions: counter(
      'rollout_decisions_total',
      'Canary decisions this process made and applied, by module and outcome (promoted, rolled_back)',
      ['module', 'outcome'],
    ),
    shadowComparisons: counter(
      'shadow_comparisons_total',
      'Mirrored calls to a shadow version by module and outcome (match, mismatch, failed, skipped)',
      ['module', 'outcome'],
    ),
    mismatchPaths: counter(
      'shadow_mismatch_paths_total',
      'JSON paths where a shadow answer differed from stable, by module and op (array indices as [])',
      ['module', 'op', 'path'],
    ),
    versionCalls: counter(
      'rollout_version_calls_total',
      'Calls sent to a module by the build version of the instance that took them, and outcome (ok, error)',
      ['module', 'version', 'outcome'],
    ),
  };
}

export type RolloutMetrics = ReturnType<typeof rolloutMetrics>;
