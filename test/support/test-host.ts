import { parseConfig } from '../../src/shared/config/config.ts';
import type { App } from '../../src/shared/http/app.ts';
import type { AnyModule } from '../../src/shared/modules/define-module.ts';
import { hostModules, type Host } from '../../src/shared/modules/platform.ts';
import { createLogger } from '../../src/shared/observability/logger.ts';
import { openIdempotencyStore } from '../../src/runtimes/idempotency-store.ts';
import { createPublicApi } from '../../src/runtimes/public-api.ts';
import { testDeploymentEnv, testServers } from './env.ts';
import { createDatabase } from './services.ts';

export interface TestHost extends Host {
  app: App;
  databaseUrl: string;
}

/**
 * Hosts modules in this test process on a fresh PostgreSQL database and the test Redis,
 * with the public API mounted (call it with app.request()).
 */
export async function startTestHost(
  modules: readonly AnyModule[],
  env: Record<string, string> = {},
): Promise<TestHost> {
  const { pgUrl, redisUrl } = testServers();
  const databaseUrl = await createDatabase(pgUrl);
  const config = parseConfig({
    ...testDeploymentEnv(),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'silent',
    DB_POOL_MAX: '5',
    ...env,
  });
  const log = createLogger({ level: config.LOG_LEVEL, pretty: false, name: 'test' });
  const host = await hostModules({ config, log, service: 'test', modules, events: 'in-process' });
  const { bus, metrics, redis } = host.platform;
  const { store: idempotencyStore } = await openIdempotencyStore(host.platform, { database: 'always' });
  const app = createPublicApi({
    name: 'test',
    config,
    log,
    metrics,
    bus,
    redis,
    idempotencyStore,
    readiness: () => host.readiness(),
  });
  return { ...host, app, databaseUrl };
}
