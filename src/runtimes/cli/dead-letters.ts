/**
 * Operator command for dead letters: `npm run dead-letters -- list [module]`,
 * `… show <module> <id>`, `… replay <module> <id>`. Uses DATABASE_URL (or the embedded
 * database) like the services; a replay is idempotent.
 */
import type { Op } from '../../shared/bus/contract.ts';
import { systemContext } from '../../shared/bus/context.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { hostModules } from '../../shared/modules/platform.ts';
import { createLogger } from '../../shared/observability/logger.ts';
import { allModules } from '../modules.ts';

const [command, moduleName, id] = process.argv.slice(2);
const usage = 'usage: dead-letters list [module] | show <module> <id> | replay <module> <id>';
const withDeadLetters = allModules.filter((m) => 'listDeadLetters' in m.contract.ops);
const opOf = (module: string, name: string) => {
  const definition = withDeadLetters.find((m) => m.contract.name === module);
  if (!definition) throw new Error(`no module ${module} with dead letters (have: ${withDeadLetters.map((m) => m.contract.name).join(', ')})`);
  return (definition.contract.ops as Record<string, Op>)[name]!;
};

if (!['list', 'show', 'replay'].includes(command ?? '') || (command !== 'list' && (!moduleName || !id))) {
  process.stderr.write(`${usage}\n`);
  process.exit(64);
}
const config = loadConfig();
const log = createLogger({ level: 'warn', pretty: false, name: 'dead-letters' });
const host = await hostModules({ config, log, service: 'cli', modules: allModules });
const ctx = () => systemContext({ caller: { userId: '00000000-0000-0000-0000-000000000000', role: 'admin' } });
try {
  if (command === 'list') {
    for (const module of moduleName ? [moduleName] : withDeadLetters.map((m) => m.contract.name)) {
      const { items } = (await host.platform.bus.call(opOf(module, 'listDeadLetters'), { limit: 100 }, ctx())) as { items: Record<string, unknown>[] };
      process.stdout.write(`${module}: ${items.length} dead letter(s)\n`);
      for (const item of items) {
        process.stdout.write(`  ${item.id}  ${item.event}  consumer=${item.consumer}  attempts=${item.attempts}  ${item.replayedAt ? `replayed ${item.replayedAt}` : 'pending'}\n`);
      }
    }
  } else if (command === 'show') {
    process.stdout.write(`${JSON.stringify(await host.platform.bus.call(opOf(moduleName!, 'getDeadLetter'), { id }, ctx()), null, 2)}\n`);
  } else {
    const result = await host.platform.bus.call(opOf(moduleName!, 'replayDeadLetter'), { id }, ctx());
    process.stdout.write(`replayed: ${JSON.stringify(result)}\n`);
  }
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await host.stop();
}
