import { routeRemoteModules } from '../shared/bus/remote-routing.ts';
import { serviceCredentials } from '../shared/bus/service-credentials.ts';
import { loadConfig, requireDeploymentSecret } from '../shared/config/config.ts';
import { onShutdown } from '../shared/http/serve.ts';
import { hostModules } from '../shared/modules/platform.ts';
import { createLogger } from '../shared/observability/logger.ts';
import { allContracts } from './contracts.ts';
import { servePublicApi } from './public-api.ts';
import { startUp } from './start-up.ts';

// The public API of every module, hosting none: each call crosses to a service over HTTP.
const config = loadConfig();
const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, name: 'gateway' });
requireDeploymentSecret(config);
const credentials = serviceCredentials({ secret: config.INTERNAL_SERVICE_SECRET, service: 'gateway' });
const { host, server, idempotency, flags } = await startUp('gateway', async () => {
  const host = await hostModules({
    config,
    log,
    service: 'gateway',
    modules: [],
    connect: (platform) => routeRemoteModules({ platform, credentials, contracts: allContracts }),
  });
  const { server, idempotency, flags } = await servePublicApi('gateway', host, { database: 'if-configured' });
  return { host, server, idempotency, flags };
});
log.info({ port: server.port }, `Shareloop gateway listening on port ${server.port} (docs at /docs)`);
onShutdown(log, async () => {
  await server.close();
  idempotency.stop();
  await flags.close();
  await host.stop();
});
