/**
 * Operator command: rebuilds the catalog read model from inventory, identity and rentals and swaps it
 * in at once (the same implementation as POST /v1/admin/catalog/rebuild).
 *
 *   npm run catalog:rebuild                hosts every module (the catalog reads inventory, identity and
 *                                          rentals) in this process, on their databases (DATABASE_URL /
 *                                          <MODULE>_DATABASE_URL)
 *   npm run catalog:rebuild -- --remote    asks the running catalog service to do it (split
 *                                          deployment: discovery and INTERNAL_SERVICE_SECRET as the services')
 *
 * A monolith on embedded PGlite holds its data directory: use the HTTP route there instead.
 */
import { routeRemoteModules } from '../../shared/bus/remote-routing.ts';
import { serviceCredentials } from '../../shared/bus/service-credentials.ts';
import type { AnyContract } from '../../shared/bus/contract.ts';
import { systemContext } from '../../shared/bus/context.ts';
import { AppError } from '../../shared/bus/errors.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { hostModules } from '../../shared/modules/platform.ts';
import { createLogger } from '../../shared/observability/logger.ts';
import { catalog } from '../../modules/catalog/contract.ts';
import { allModules } from '../modules.ts';

const POLL_MS = 500;
/** The operator at the console acts as an admin. */
const operator = { userId: '00000000-0000-0000-0000-000000000000', role: 'admin' };

const remote = process.argv.includes('--remote');
const config = loadConfig();
const log = createLogger({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, pretty: config.LOG_PRETTY, name: 'catalog-rebuild' });
const host = await hostModules({
  config,
  log,
  service: 'catalog-rebuild',
  modules: remote ? [] : allModules,
  ...(remote
    ? {
        connect: (platform) =>
          routeRemoteModules({
            platform,
            credentials: serviceCredentials({ secret: config.INTERNAL_SERVICE_SECRET, service: 'catalog-rebuild' }),
            contracts: [catalog as unknown as AnyContract],
          }),
      }
    : {}),
});
process.once('SIGINT', () => void host.stop().finally(() => process.exit(130)));

const ctx = () => systemContext({ caller: operator });
const tty = process.stderr.isTTY;
let exitCode = 1;
try {
  const { rebuildId } = await host.platform.bus.call(catalog.ops.rebuild, {}, ctx());
  let shown = '';
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const status = await host.platform.bus.call(catalog.ops.getRebuildStatus, {}, ctx());
    if (status.running?.rebuildId === rebuildId) {
      const { phase, items, owners } = status.running;
      const line = `catalog:rebuild ${phase}: ${items} items, ${owners} owners`;
      if (tty) process.stderr.write(`\r${line}\u001b[K`);
      else if (line !== shown) process.stderr.write(`${line}\n`);
      shown = line;
      continue;
    }
    if (status.last?.rebuildId !== rebuildId) continue;
    if (tty) process.stderr.write('\n');
    const { outcome, items, owners, startedAt, finishedAt, error } = status.last;
    const seconds = ((Date.parse(finishedAt) - Date.parse(startedAt)) / 1000).toFixed(1);
    if (outcome === 'completed') {
      process.stdout.write(`catalog rebuilt: ${items} items, ${owners} owners in ${seconds} s (generation ${status.generation})\n`);
      exitCode = 0;
    } else {
      process.stderr.write(`catalog rebuild failed after ${seconds} s: ${error ?? 'unknown error'}\n`);
    }
    break;
  }
} catch (error) {
  process.stderr.write(`catalog rebuild could not run: ${error instanceof AppError ? `${error.code}: ${error.detail}` : (error as Error).message}\n`);
} finally {
  await host.stop();
}
process.exit(exitCode);
