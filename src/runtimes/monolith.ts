import { loadConfig } from '../shared/config/config.ts';
import { lockDataDir } from '../shared/db/data-dir-lock.ts';
import { onShutdown } from '../shared/http/serve.ts';
import { hostModules } from '../shared/modules/platform.ts';
import { createLogger } from '../shared/observability/logger.ts';
import { allModules } from './modules.ts';
import { servePublicApi } from './public-api.ts';
import { localUrl, startUp, usesEmbeddedDatabase } from './start-up.ts';

// Every module and the public API in one process, on the in-process bus.
const started = performance.now();
const config = loadConfig();
const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, name: 'monolith' });
const { host, server, dataDir, idempotency, flags } = await startUp('monolith', async () => {
  // Another process on the same embedded database is refused before anything opens.
  const dataDir = usesEmbeddedDatabase(
    config,
    allModules.map((m) => m.contract.name),
  )
    ? lockDataDir(config.DATA_DIR, 'monolith')
    : undefined;
  const host = await hostModules({ config, log, service: 'monolith', modules: allModules, events: 'in-process' });
  const { server, idempotency, flags } = await servePublicApi('monolith', host, { database: 'always' });
  // Operator commands find this server's admin API through the lock file.
  dataDir?.advertise(localUrl(config.HOST, server.port));
  return { host, server, dataDir, idempotency, flags };
});
log.info(
  {
    port: server.port,
    database: config.DATABASE_URL ? 'postgres' : 'pglite',
    cache: host.platform.redis ? 'redis' : 'memory',
    ms: Math.round(performance.now() - started),
  },
  `Shareloop listening on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${server.port} (docs at /docs)`,
);
onShutdown(log, async () => {
  await server.close();
  idempotency.stop();
  await flags.close();
  await host.stop();
  dataDir?.release();
});
