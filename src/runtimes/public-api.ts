import type { RedisClient } from '../shared/cache/redis-client.ts';
import { mountNotificationStream } from '../modules/notifications/routes.ts';
import type { Bus } from '../shared/bus/bus.ts';
import type { Config } from '../shared/config/config.ts';
import { openEdgeFlags, type EdgeFlags } from '../shared/flags/edge-flags.ts';
import { createApp, mountDocs, type App } from '../shared/http/app.ts';
import { mountContract } from '../shared/http/contract-routes.ts';
import { idempotency } from '../shared/http/idempotency.ts';
import { listen, type Server } from '../shared/http/serve.ts';
import type { Host } from '../shared/modules/platform.ts';
import type { IdempotencyStore } from '../shared/http/idempotency-store.ts';
import { StaleFallback } from '../shared/http/stale-fallback.ts';
import type { Logger } from '../shared/observability/logger.ts';
import type { Metrics } from '../shared/observability/metrics.ts';
import { authenticateWith } from './authenticate.ts';
import { allContracts } from './contracts.ts';
import { mountItemDetails } from './item-details.ts';
import { openIdempotencyStore } from './idempotency-store.ts';
import { edgeRateLimits } from './rate-limits.ts';

/** Version of the public API document: governs the routes no contract owns (contracts:check). */
export const PUBLIC_API_VERSION = '2.0.0';

/** The public HTTP API of every module, with its OpenAPI document and docs. */
export function createPublicApi(options: {
  name: string;
  config: Config;
  log: Logger;
  metrics: Metrics;
  bus: Bus;
  redis: RedisClient | undefined;
  /** Where Idempotency-Key records live (see openIdempotencyStore). */
  idempotencyStore: IdempotencyStore;
  readiness: () => Promise<Record<string, boolean>>;
  databaseRoles?: () => Promise<Record<string, Record<string, string>>>;
  /** Feature flags evaluated once per request (see openEdgeFlags); without them, handlers see none. */
  flags?: EdgeFlags;
}): App {
  const { config, bus } = options;
  const limits = edgeRateLimits(config, options.redis, options.log);
  const app = createApp({
    name: options.name,
    log: options.log,
    metrics: options.metrics,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    corsOrigins: config.CORS_ORIGINS,
    readiness: options.readiness,
    metricsToken: config.METRICS_TOKEN,
    ...(options.databaseRoles ? { databaseRoles: options.databaseRoles } : {}),
    ...(limits.byIp ? { rateLimit: limits.byIp } : {}),
  });
  const routeOptions = {
    bus,
    authenticate: authenticateWith(bus),
    timeoutMs: config.REQUEST_TIMEOUT_MS,
    staleFallback: new StaleFallback(),
    // A lease well past the request timeout.
    idempotency: idempotency({
      store: options.idempotencyStore,
      leaseMs: Math.max(60_000, 2 * config.REQUEST_TIMEOUT_MS),
      log: options.log,
    }),
    ...(limits.byCaller ? { limitCaller: limits.byCaller } : {}),
    ...(options.flags ? { evaluateFlags: options.flags.evaluate } : {}),
  };
  for (const contract of allContracts) mountContract(app, contract, routeOptions);
  mountItemDetails(app, { bus, timeoutMs: config.REQUEST_TIMEOUT_MS });
  mountNotificationStream(app, {
    authenticate: routeOptions.authenticate,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
    redis: options.redis,
    log: options.log,
    maxStreamsPerUser: config.NOTIFICATION_STREAMS_PER_USER,
  });
  mountDocs(app, {
    title: 'Shareloop API',
    version: PUBLIC_API_VERSION,
    description: 'Lend and rent out items: accounts, listings, rentals, payments, notifications, search and reports.',
  });
  return app;
}

/**
 * Serves a host's public API on the configured address, with its Idempotency-Key store
 * (see openIdempotencyStore for `database`) and its feature flags (FLAGS_FILE); the caller
 * closes the server, stops the store and closes the flags.
 */
export async function servePublicApi(
  name: string,
  host: Host,
  options: { database: 'always' | 'if-configured' },
): Promise<{ server: Server; idempotency: Awaited<ReturnType<typeof openIdempotencyStore>>; flags: EdgeFlags }> {
  const { config, log, metrics, bus, redis } = host.platform;
  const idempotency = await openIdempotencyStore(host.platform, options);
  const flags = await openEdgeFlags({ path: config.FLAGS_FILE, log });
  const app = createPublicApi({
    name,
    config,
    log,
    metrics,
    bus,
    redis,
    idempotencyStore: idempotency.store,
    readiness: () => host.readiness(),
    databaseRoles: () => host.databaseRoles(),
    flags,
  });
  const server = await listen(app.fetch, { port: config.PORT, host: config.HOST, log });
  return { server, idempotency, flags };
}
