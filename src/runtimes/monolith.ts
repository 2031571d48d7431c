import { loadConfig } from '../shared/config/config.ts';
import { listen, onShutdown } from '../shared/http/serve.ts';
import { hostModules } from '../shared/modules/platform.ts';
import { createLogger } from '../shared/observability/logger.ts';
import { allModules } from './modules.ts';
import { createPublicApi } from './public-api.ts';

// Every module and the public API in one process, on the in-process bus.
const started = performance.now();
const config = loadConfig();
const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, name: 'monolith' });
const host = await hostModules({ config, log, service: 'monolith', modules: allModules, events: 'in-process' });
const { bus, metrics, redis } = host.platform;
const app = createPublicApi({ name: 'monolith', config, log, metrics, bus, redis, readiness: () => host.readiness(), databaseRoles: () => host.databaseRoles() });
const server = await listen(app.fetch, { port: config.PORT, host: config.HOST, log });
log.info(
  { port: server.port, database: config.DATABASE_URL ? 'postgres' : 'pglite', cache: redis ? 'redis' : 'memory', ms: Math.round(performance.now() - started) },
  `Shareloop listening on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${server.port} (docs at /docs)`,
);
onShutdown(log, async () => {
  await server.close();
  await host.stop();
});
