/**
 * `npm run db:migrate`: applies every module's migrations to its database (DATABASE_URL or
 * <MODULE>_DATABASE_URL; the embedded database without). Services also migrate on start,
 * serialized by an advisory lock; this runs it ahead of a deploy.
 */
import { loadConfig } from '../../shared/config/config.ts';
import { hostModules } from '../../shared/modules/platform.ts';
import { createLogger } from '../../shared/observability/logger.ts';
import { allModules } from '../modules.ts';

const config = loadConfig();
const log = createLogger({ level: 'warn', pretty: false, name: 'migrate' });
const host = await hostModules({ config, log, service: 'migrate', modules: allModules });
await host.stop();
process.stdout.write(`migrated: ${allModules.map((m) => m.contract.name).join(', ')}\n`);
