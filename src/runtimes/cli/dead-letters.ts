/**
 * Operator command for dead letters: list, show and replay (a replay is idempotent). See
 * `npm run dead-letters -- --help` for where it runs.
 */
import type { Op } from '../../shared/bus/contract.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { createLogger } from '../../shared/observability/logger.ts';
import { allModules } from '../modules.ts';
import { parseCommandLine, usageError } from './command-line.ts';
import { openOperatorChannel } from './operator-channel.ts';

const COMMAND = 'dead-letters';
const withDeadLetters = allModules.filter((m) => 'listDeadLetters' in m.contract.ops);
const USAGE = `
Usage: npm run dead-letters -- list [module] | show <module> <id> | replay <module> <id> [--remote <url>]

Messages a consumer gave up on after EVENT_MAX_ATTEMPTS: list them (per module, newest 100),
show one with its envelope, payload and error, or replay it through its consumer (idempotent).
Modules: ${withDeadLetters.map((m) => m.contract.name).join(', ')}.

Where it runs:
  (default)        when a running server holds DATA_DIR (embedded database): through that
                   server's admin API, found in DATA_DIR/shareloop.lock; else in this process,
                   hosting the modules on DATABASE_URL / <MODULE>_DATABASE_URL or DATA_DIR
  --remote <url>   through the admin API of the server (monolith or gateway) at url

The admin API needs ADMIN_TOKEN (an admin's access token), or ADMIN_EMAIL and ADMIN_PASSWORD.
`;

const { values, positionals } = parseCommandLine(
  COMMAND,
  USAGE,
  { remote: { type: 'string' } },
  process.argv.slice(2),
  true,
);
const [command, moduleName, id, ...extra] = positionals;
if (!['list', 'show', 'replay'].includes(command ?? ''))
  usageError(COMMAND, command ? `unknown command "${command}"` : 'a command is required');
if (command !== 'list' && (!moduleName || !id)) usageError(COMMAND, `${command} needs <module> <id>`);
if (extra.length > 0 || (command === 'list' && id)) usageError(COMMAND, `unexpected argument "${extra[0] ?? id}"`);
const modules = moduleName ? [moduleName] : withDeadLetters.map((m) => m.contract.name);
const unknown = modules.find((name) => !withDeadLetters.some((m) => m.contract.name === name));
if (unknown)
  usageError(
    COMMAND,
    `no module "${unknown}" with dead letters (have: ${withDeadLetters.map((m) => m.contract.name).join(', ')})`,
  );
const opOf = (module: string, name: string) =>
  (withDeadLetters.find((m) => m.contract.name === module)!.contract.ops as Record<string, Op>)[name]!;

const config = loadConfig();
const log = createLogger({ level: 'warn', pretty: false, name: COMMAND });
const channel = await openOperatorChannel({ command: COMMAND, config, log, remote: values.remote });
try {
  if (command === 'list') {
    for (const module of modules) {
      const { items } = (await channel.call(opOf(module, 'listDeadLetters'), { limit: 100 })) as {
        items: Record<string, unknown>[];
      };
      process.stdout.write(`${module}: ${items.length} dead letter(s)\n`);
      for (const item of items) {
        process.stdout.write(
          `  ${item.id}  ${item.event}  consumer=${item.consumer}  attempts=${item.attempts}  ${item.replayedAt ? `replayed ${item.replayedAt}` : 'pending'}\n`,
        );
      }
    }
  } else if (command === 'show') {
    process.stdout.write(
      `${JSON.stringify(await channel.call(opOf(moduleName!, 'getDeadLetter'), { id }), null, 2)}\n`,
    );
  } else {
    const result = await channel.call(opOf(moduleName!, 'replayDeadLetter'), { id });
    process.stdout.write(`replayed: ${JSON.stringify(result)}\n`);
  }
} catch (error) {
  const e = error as { code?: string; detail?: string; message?: string };
  process.stderr.write(`${COMMAND}: ${e.code && e.detail ? `${e.code}: ${e.detail}` : (e.message ?? String(error))}\n`);
  process.exitCode = 1;
} finally {
  await channel.close();
}
