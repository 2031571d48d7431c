/**
 * Operator command: rebuilds the catalog read model from inventory, identity and rentals and
 * swaps it in at once (the same implementation as POST /v1/admin/catalog/rebuild), printing
 * progress while it runs. See `npm run catalog:rebuild -- --help` for where it runs.
 */
import { catalog } from '../../modules/catalog/contract.ts';
import type { AnyContract } from '../../shared/bus/contract.ts';
import { AppError } from '../../shared/bus/errors.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { createLogger } from '../../shared/observability/logger.ts';
import { parseCommandLine } from './command-line.ts';
import { openOperatorChannel } from './operator-channel.ts';

const COMMAND = 'catalog:rebuild';
const USAGE = `
Usage: npm run catalog:rebuild [-- --remote <url> | --service]

Rebuilds the catalog's search read model (items, owners' names, bookings) from inventory,
identity and rentals, and swaps it in at once; searches keep answering meanwhile. Prints
progress until it ends; exit code 0 when it completed.

Where it runs:
  (default)        when a running server holds DATA_DIR (embedded database): through that
                   server's admin API, found in DATA_DIR/shareloop.lock; else in this process,
                   hosting the modules on DATABASE_URL / <MODULE>_DATABASE_URL or DATA_DIR
  --remote <url>   through the admin API of the server (monolith or gateway) at url
  --service        on the catalog service over the internal bus (split deployments: discovery
                   and INTERNAL_SERVICE_SECRET as the services have them)

The admin API needs ADMIN_TOKEN (an admin's access token), or ADMIN_EMAIL and ADMIN_PASSWORD.
`;
const POLL_MS = 500;

const { values } = parseCommandLine(COMMAND, USAGE, { remote: { type: 'string' }, service: { type: 'boolean' } });
const config = loadConfig();
const log = createLogger({
  level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
  pretty: config.LOG_PRETTY,
  name: COMMAND,
});
const channel = await openOperatorChannel({
  command: COMMAND,
  config,
  log,
  remote: values.remote,
  service: values.service ? [catalog as unknown as AnyContract] : undefined,
});
process.once('SIGINT', () => void channel.close().finally(() => process.exit(130)));

const tty = process.stderr.isTTY;
let exitCode = 1;
try {
  const { rebuildId } = await channel.call(catalog.ops.rebuild, {});
  process.stderr.write(`${COMMAND}: started rebuild ${rebuildId}\n`);
  let shown = '';
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const status = await channel.call(catalog.ops.getRebuildStatus, {});
    if (status.running?.rebuildId === rebuildId) {
      const { phase, items, owners } = status.running;
      const line = `${COMMAND} ${phase}: ${items} items, ${owners} owners`;
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
      process.stdout.write(
        `catalog rebuilt: ${items} items, ${owners} owners in ${seconds} s (generation ${status.generation})\n`,
      );
      exitCode = 0;
    } else {
      process.stderr.write(`catalog rebuild failed after ${seconds} s: ${error ?? 'unknown error'}\n`);
    }
    break;
  }
} catch (error) {
  process.stderr.write(
    `catalog rebuild could not run: ${error instanceof AppError ? `${error.code}: ${error.detail}` : (error as Error).message}\n`,
  );
} finally {
  await channel.close();
}
process.exit(exitCode);
