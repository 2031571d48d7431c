// One process of the checker's topology: ROLE=relay (probe's outbox relay), consumer
// (probesink's consumers) or all (both, on the in-process transport, as the monolith runs).
import { loadConfig } from '../../src/shared/config/config.ts';
import { onShutdown } from '../../src/shared/http/serve.ts';
import { hostModules } from '../../src/shared/modules/platform.ts';
import { createLogger } from '../../src/shared/observability/logger.ts';
import { probeModule, probeSinkModule } from './probe-modules.ts';

const role = process.env.ROLE ?? 'all';
const config = loadConfig();
const log = createLogger({ level: config.LOG_LEVEL, pretty: false, name: `checker-${role}` });
const modules =
  role === 'relay' ? [probeModule] : role === 'consumer' ? [probeSinkModule] : [probeModule, probeSinkModule];
const host = await hostModules({
  config,
  log,
  service: `checker-${role}`,
  modules,
  events: role === 'all' ? 'in-process' : 'redis-streams',
});
process.stdout.write('ready\n');
onShutdown(log, () => host.stop());
