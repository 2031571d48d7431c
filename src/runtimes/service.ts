import { randomUUID } from 'node:crypto';
import { mountInternalBus } from '../shared/bus/internal-endpoint.ts';
import { routeRemoteModules } from '../shared/bus/remote-routing.ts';
import { serviceCredentials } from '../shared/bus/service-credentials.ts';
import { INTERNAL_BUS_PATH } from '../shared/bus/wire.ts';
import { hasRedis } from '../shared/cache/redis-client.ts';
import { loadConfig, requireDeploymentSecret } from '../shared/config/config.ts';
import { registerInstance, type Registration } from '../shared/discovery/register-instance.ts';
import { createApp } from '../shared/http/app.ts';
import { listen, onShutdown } from '../shared/http/serve.ts';
import { hostModules } from '../shared/modules/platform.ts';
import { buildInfo } from '../shared/observability/build-info.ts';
import { createLogger } from '../shared/observability/logger.ts';
import { allContracts } from './contracts.ts';
import { allModules } from './modules.ts';
import { injectedBusFaults } from './injected-faults.ts';
import { startUp } from './start-up.ts';

// Hosts the modules named in MODULES= and serves their internal bus endpoint; any grouping,
// any number of instances. Other modules are reached over HTTP.
const config = loadConfig();
const hosted = allModules.filter((m) => config.MODULES.includes(m.contract.name));
const unknown = config.MODULES.filter((name) => !allModules.some((m) => m.contract.name === name));
if (hosted.length === 0 || unknown.length > 0) {
  process.stderr.write(
    `Invalid configuration: MODULES must list modules among ${allModules.map((m) => m.contract.name).join(', ')} (got "${config.MODULES.join(',')}")\n`,
  );
  process.exit(78);
}
if (!hasRedis(config) && !process.env.ADVERTISE_URL) {
  // Without Redis there is no registry to join; static or DNS discovery must point at us.
  process.stderr.write('Note: REDIS_URL is not set, so this instance does not register for discovery.\n');
}
const name = process.env.SERVICE_NAME ?? hosted.map((m) => m.contract.name).join('+');
const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, name });
requireDeploymentSecret(config);
const credentials = serviceCredentials({ secret: config.INTERNAL_SERVICE_SECRET, service: name });
const host = await startUp(name, () =>
  hostModules({
    config,
    log,
    service: name,
    modules: hosted,
    events: 'redis-streams',
    connect: (platform) => routeRemoteModules({ platform, credentials, contracts: allContracts }),
  }),
);
let draining = false;
const app = createApp({
  name,
  log,
  metrics: host.platform.metrics,
  bodyLimitBytes: config.BODY_LIMIT_BYTES * 4,
  corsOrigins: [],
  metricsToken: config.METRICS_TOKEN,
  readiness: async () => ({ ...(await host.readiness()), accepting: !draining }),
  databaseRoles: () => host.databaseRoles(),
});
const faults = injectedBusFaults(process.env, config.NODE_ENV === 'production', log);
if (faults) app.use(`${INTERNAL_BUS_PATH}/*`, faults);
mountInternalBus(app, { bus: host.platform.bus, credentials, isDraining: () => draining, log });
const server = await startUp(name, () => listen(app.fetch, { port: config.PORT, host: config.HOST, log }));
const url = config.ADVERTISE_URL ?? `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${server.port}`;
const instanceId = `${name}-${randomUUID().slice(0, 8)}`;
const registrations: Registration[] = [];
if (host.platform.redis) {
  for (const module of hosted) {
    registrations.push(
      await registerInstance({
        redis: host.platform.redis,
        module: module.contract.name,
        instance: { id: instanceId, url, version: buildInfo().version },
        ttlMs: config.DISCOVERY_TTL_MS,
        log,
      }),
    );
  }
}
log.info({ url, modules: config.MODULES, instanceId, version: buildInfo().version }, 'service ready');

onShutdown(log, async () => {
  // Leave the registry first, refuse new calls (callers retry elsewhere), then drain.
  draining = true;
  await Promise.all(registrations.map((r) => r.stop()));
  await new Promise((r) => setTimeout(r, 200));
  await server.close();
  await host.stop();
});
