import { routeRemoteModules } from '../shared/bus/remote-routing.ts';
import { serviceCredentials } from '../shared/bus/service-credentials.ts';
import { loadConfig, requireDeploymentSecret } from '../shared/config/config.ts';
import { listen, onShutdown } from '../shared/http/serve.ts';
import { hostModules } from '../shared/modules/platform.ts';
import { createLogger } from '../shared/observability/logger.ts';
import { allContracts } from './contracts.ts';
import { openIdempotencyStore } from './idempotency-store.ts';
import { createPublicApi } from './public-api.ts';
import { startUp } from './start-up.ts';

// The public API of every module, hosting none: each call crosses to a service over HTTP.
const config = loadConfig();
const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, name: 'gateway' });
requireDeploymentSecret(config);
const credentials = serviceCredentials({ secret: config.INTERNAL_SERVICE_SECRET, service: 'gateway' });
const { host, server, idempotency } = await startUp('gateway', async () => {
  const host = await hostModules({
    config,
    log,
    service: 'gateway',
    modules: [],
    connect: (platform) => routeRemoteModules({ platform, credentials, contracts: allContracts }),
  });
  const { bus, metrics, redis } = host.platform;
  const idempotency = await openIdempotencyStore(host.platform, { database: 'if-configured' });
  const app = createPublicApi({
    name: 'gateway',
    config,
    log,
    metrics,
    bus,
    redis,
    idempotencyStore: idempotency.store,
    readiness: () => host.readiness(),
    databaseRoles: () => host.databaseRoles(),
  });
  const server = await listen(app.fetch, { port: config.PORT, host: config.HOST, log });
  return { host, server, idempotency };
});
log.info({ port: server.port }, `Shareloop gateway listening on port ${server.port} (docs at /docs)`);
onShutdown(log, async () => {
  await server.close();
  idempotency.stop();
  await host.stop();
});
