/**
 * A payments service (as src/runtimes/service.ts runs it) whose prepareSettlement SIGKILLs the
 * process right after the settlement is PREPAREd, before the coordinator hears the vote: a
 * participant crash between its vote and the answer. Same environment as service.ts.
 */
import { randomUUID } from 'node:crypto';
import { paymentsModule } from '../../../src/modules/payments/module.ts';
import { allContracts } from '../../../src/runtimes/contracts.ts';
import { mountInternalBus } from '../../../src/shared/bus/internal-endpoint.ts';
import { routeRemoteModules } from '../../../src/shared/bus/remote-routing.ts';
import { serviceCredentials } from '../../../src/shared/bus/service-credentials.ts';
import { loadConfig } from '../../../src/shared/config/config.ts';
import { registerInstance } from '../../../src/shared/discovery/register-instance.ts';
import { createApp } from '../../../src/shared/http/app.ts';
import { listen } from '../../../src/shared/http/serve.ts';
import { hostModules } from '../../../src/shared/modules/platform.ts';
import { createLogger } from '../../../src/shared/observability/logger.ts';

const crashing = {
  ...paymentsModule,
  handlers: {
    ...paymentsModule.handlers,
    prepareSettlement: async (...args: Parameters<typeof paymentsModule.handlers.prepareSettlement>) => {
      const vote = await paymentsModule.handlers.prepareSettlement(...args);
      process.stdout.write(`${JSON.stringify({ crashing: 'payments:after-prepare', gid: vote.gid })}\n`);
      process.kill(process.pid, 'SIGKILL');
      return vote;
    },
  },
};

const config = loadConfig();
const name = 'payments-crashing';
const log = createLogger({ level: config.LOG_LEVEL, pretty: false, name });
const credentials = serviceCredentials({ secret: config.INTERNAL_SERVICE_SECRET, service: name });
const host = await hostModules({
  config,
  log,
  service: name,
  modules: [crashing],
  events: 'redis-streams',
  connect: (platform) => routeRemoteModules({ platform, credentials, contracts: allContracts }),
});
const app = createApp({
  name,
  log,
  metrics: host.platform.metrics,
  bodyLimitBytes: config.BODY_LIMIT_BYTES * 4,
  corsOrigins: [],
  readiness: () => host.readiness(),
});
mountInternalBus(app, { bus: host.platform.bus, credentials, isDraining: () => false, log });
const server = await listen(app.fetch, { port: config.PORT, host: config.HOST, log });
const url = config.ADVERTISE_URL ?? `http://127.0.0.1:${server.port}`;
await registerInstance({
  redis: host.platform.redis!,
  module: 'payments',
  instance: { id: `${name}-${randomUUID().slice(0, 8)}`, url },
  ttlMs: config.DISCOVERY_TTL_MS,
  log,
});
log.info({ url }, 'crashing payments service ready');
