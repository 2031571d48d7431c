import type { RemoteTransport } from '../bus/bus.ts';
import { HttpTransport } from '../bus/http-transport.ts';
import type { ServiceCredentials } from '../bus/service-credentials.ts';
import type { BalancingStrategy, InstancePool } from '../discovery/instance-pool.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { TargetPolicy } from '../resilience/target-policy.ts';
import { rolloutMetrics } from './rollout-metrics.ts';
import type { RolloutSettings } from './rollout-settings.ts';
import type { RolloutStore } from './rollout-store.ts';
import { VersionRouter } from './version-router.ts';

/**
 * The HTTP transport to one module that follows its rollout plan: calls go by version (see
 * VersionRouter) through `policy`; mirrored calls to a shadow go through their own policy,
 * without retries, bounded by the shadow timeout.
 */
export function rolloutTransport(options: {
  module: string;
  pool: InstancePool;
  strategy: BalancingStrategy;
  policy: TargetPolicy;
  credentials: ServiceCredentials;
  store: RolloutStore;
  settings: RolloutSettings;
  log: Logger;
  metrics: Metrics;
}): RemoteTransport {
  const { module, credentials, settings, log, metrics } = options;
  const router = new VersionRouter({ ...options, metrics: rolloutMetrics(metrics.registry) });
  const shadowPolicy = new TargetPolicy(
    `${module}-shadow`,
    {
      timeoutMs: settings.shadowTimeoutMs,
      retries: 0,
      breakerThreshold: 5,
      halfOpenAfterMs: 5_000,
      bulkheadLimit: settings.shadowConcurrency,
      bulkheadQueue: 0,
    },
    { log, metrics },
  );
  return router.withShadow(
    new HttpTransport({ module, selector: router.selector(), policy: options.policy, credentials }),
    new HttpTransport({ module, selector: router.shadowSelector(), policy: shadowPolicy, credentials }),
  );
}
