/**
 * `npm run db:migrate`: applies every module's migrations, and the platform's, to their
 * databases, module by module with progress. See `npm run db:migrate -- --help`.
 */
import { performance } from 'node:perf_hooks';
import { loadConfig, moduleDatabaseUrl } from '../../shared/config/config.ts';
import { dataDirOwner, lockDataDir } from '../../shared/db/data-dir-lock.ts';
import { Databases } from '../../shared/db/databases.ts';
import { migrateModule } from '../../shared/db/migrate.ts';
import { PLATFORM, PLATFORM_MIGRATIONS } from '../../shared/db/platform-schema.ts';
import { createLogger } from '../../shared/observability/logger.ts';
import { allModules } from '../modules.ts';
import { startUpFailure, usesEmbeddedDatabase } from '../start-up.ts';
import { AdminApi } from './admin-api.ts';
import { fail, parseCommandLine } from './command-line.ts';

const COMMAND = 'db:migrate';
const USAGE = `
Usage: npm run db:migrate [-- --remote <url>]

Applies every module's migrations (and the platform's own tables) to its database:
<MODULE>_DATABASE_URL, else DATABASE_URL, else the embedded database under DATA_DIR. Runs
ahead of a deploy; services also migrate on start, serialized by an advisory lock.

A running server migrated its databases when it started: when one holds DATA_DIR (embedded
database), or with --remote <url>, this checks that server is ready (GET /readyz) instead
(restart it to apply migrations added since).
`;

const { values } = parseCommandLine(COMMAND, USAGE, { remote: { type: 'string' } });
const config = loadConfig();
const modules: { name: string; folder: string }[] = [
  ...allModules.flatMap((m) => (m.migrations ? [{ name: m.contract.name, folder: m.migrations }] : [])),
  { name: PLATFORM, folder: PLATFORM_MIGRATIONS },
];
const embedded = usesEmbeddedDatabase(
  config,
  allModules.map((m) => m.contract.name),
);
const owner = embedded ? dataDirOwner(config.DATA_DIR) : undefined;
const serverUrl = values.remote ?? owner?.url;
if (owner && !owner.url)
  fail(
    COMMAND,
    `DATA_DIR ${config.DATA_DIR} is in use by the ${owner.role} (pid ${owner.pid}); run this when it has finished`,
  );

if (serverUrl) {
  const where =
    owner && !values.remote
      ? `the ${owner.role} at ${serverUrl} (pid ${owner.pid}), which holds DATA_DIR ${config.DATA_DIR},`
      : `the server at ${serverUrl}`;
  if (!(await new AdminApi(serverUrl.replace(/\/+$/, ''), {}).ready()))
    fail(COMMAND, `${where} is not ready (GET /readyz): see its logs`);
  process.stdout.write(
    `migrated: ${where} applied every migration when it started and is ready (restart it to apply newer ones)\n`,
  );
  process.exit(0);
}

const log = createLogger({ level: 'warn', pretty: false, name: COMMAND });
let lock: ReturnType<typeof lockDataDir> | undefined;
try {
  lock = embedded ? lockDataDir(config.DATA_DIR, COMMAND) : undefined;
} catch (error) {
  fail(COMMAND, startUpFailure(error));
}
const databases = new Databases({ dataDir: config.DATA_DIR, poolMax: 2, log });
let exitCode = 0;
try {
  for (const { name, folder } of modules) {
    const started = performance.now();
    process.stderr.write(`${COMMAND}: ${name}…`);
    const url = moduleDatabaseUrl(name, config);
    await migrateModule(await databases.get(url), url, name, folder);
    process.stderr.write(` done in ${Math.round(performance.now() - started)} ms\n`);
  }
  process.stdout.write(`migrated: ${modules.map((m) => m.name).join(', ')}\n`);
} catch (error) {
  process.stderr.write('\n');
  process.stderr.write(`${COMMAND}: ${startUpFailure(error)}\n`);
  exitCode = 1;
} finally {
  await databases.closeAll();
  lock?.release();
}
process.exit(exitCode);
