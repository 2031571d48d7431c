/**
 * Test entrypoint (`npm test`): typechecks the project (`tsc --noEmit`, failing on any type
 * error), checks formatting and lint (`biome ci`) and contract versions (`contracts:check`), starts throwaway PostgreSQL + Redis meanwhile, then runs every `*.test.ts` under
 * src/ and test/ with Node's built-in test runner.
 *
 *   npm test                               # everything
 *   npm test -- src/modules/identity       # only files whose path contains an argument
 *   npm test -- --test-name-pattern=login  # args starting with "-" are passed to node
 *   npm test -- --no-typecheck src/…       # skip the typecheck and lint (refused when CI is set)
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres, startRedis } from './support/services.ts';
import type { Service } from './support/services.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const NO_TYPECHECK = '--no-typecheck';
const args = process.argv.slice(2);
const skipTypecheck = args.includes(NO_TYPECHECK) && !process.env.CI;
const nodeFlags = args.filter((a) => a.startsWith('-') && a !== NO_TYPECHECK);
const filters = args
  .filter((a) => !a.startsWith('-'))
  .map((a) => (isAbsolute(a) ? relative(root, a) : a).split(sep).join('/').replace(/^\.\//, ''));

/** All *.test.ts files under src/ and test/, as sorted repo-relative posix paths. */
function findTestFiles(): string[] {
  const files: string[] = [];
  for (const dir of ['src', 'test']) {
    const abs = resolve(root, dir);
    if (!existsSync(abs)) continue;
    for (const entry of readdirSync(abs, { recursive: true, encoding: 'utf8' })) {
      const file = `${dir}/${entry.split(sep).join('/')}`;
      if (file.endsWith('.test.ts') && !file.includes('/node_modules/')) files.push(file);
    }
  }
  return files.sort();
}

const files = findTestFiles().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`[test] no *.test.ts files under src/ or test/ match ${JSON.stringify(filters)}`);
  process.exit(1);
}

// On Ctrl-C / SIGTERM exit via process.exit() so 'exit' hooks stop the services and the test processes.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => process.exit(128 + constants.signals[sig]));
}

/** Runs a Node script to completion with its output on ours; resolves to its exit code. */
function runCheck(name: string, script: string, argv: string[], nodeArgs: string[] = []): Promise<number> {
  const child = spawn(process.execPath, [...nodeArgs, script, ...argv], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  return new Promise((done) => {
    child.once('error', (err) => {
      console.error(`[test] could not run ${name}:`, err.message);
      done(1);
    });
    child.once('exit', (code) => done(code ?? 1));
  });
}

/**
 * `tsc --noEmit` over the whole project, incremental (its state under node_modules/.cache), so
 * a type error fails the run; resolves to tsc's exit code.
 */
function typecheck(): Promise<number> {
  // TYPECHECK_PROJECT points at another tsconfig (the harness's own test uses it).
  const project = process.env.TYPECHECK_PROJECT ?? resolve(root, 'tsconfig.json');
  const buildInfo = process.env.TYPECHECK_PROJECT
    ? []
    : ['--incremental', '--tsBuildInfoFile', resolve(root, 'node_modules/.cache/shareloop/tsc.tsbuildinfo')];
  return runCheck('tsc', resolve(root, 'node_modules/typescript/bin/tsc'), [
    '--noEmit',
    '-p',
    project,
    ...buildInfo,
    '--pretty',
    'false',
  ]);
}

/** Biome's formatter and linter over the project (biome.json); errors fail the run, warnings are not shown. */
function lint(): Promise<number> {
  return runCheck('biome', resolve(root, 'node_modules/@biomejs/biome/bin/biome'), [
    'ci',
    '.',
    '--colors=off',
    '--diagnostic-level=error',
  ]);
}

/** Every contract's version fits its changes since the release under contracts/ (scripts/contracts.ts). */
function contractsCheck(): Promise<number> {
  return runCheck('contracts:check', resolve(root, 'scripts/contracts.ts'), ['check'], ['--import', 'tsx']);
}

class ContractsUnversioned extends Error {
  constructor() {
    super('contracts:check found a change without a fitting version bump (above): no test was run');
  }
}

class TypeErrorsFound extends Error {
  constructor() {
    super('tsc --noEmit found type errors (above): no test was run');
  }
}

class LintErrorsFound extends Error {
  constructor() {
    super('biome ci found formatting or lint errors (above; `npx biome check --write .` fixes most): no test was run');
  }
}

const services: Service[] = [];
let exitCode = 1;
try {
  // The typecheck runs while the servers start; a type error fails the run before any test.
  const typechecked = skipTypecheck ? Promise.resolve(0) : typecheck();
  const linted = skipTypecheck ? Promise.resolve(0) : lint();
  const contractsChecked = skipTypecheck ? Promise.resolve(0) : contractsCheck();
  const pg = await startPostgres();
  services.push(pg);
  const redis = await startRedis();
  services.push(redis);
  process.env.TEST_PG_URL = pg.url;
  process.env.TEST_REDIS_URL = redis.url;
  if ((await typechecked) !== 0) throw new TypeErrorsFound();
  if ((await linted) !== 0) throw new LintErrorsFound();
  if ((await contractsChecked) !== 0) throw new ContractsUnversioned();
  if (!skipTypecheck)
    console.log('[test] tsc --noEmit: no type errors; biome ci: formatted, no lint errors; contract versions fit');
  console.log(`[test] ${pg.description}; ${redis.description}; running ${files.length} file(s)`);

  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=2',
      '--test-reporter=spec',
      '--test-timeout=900000',
      ...nodeFlags,
      ...files,
    ],
    // Own process group, so an early exit can kill the runner *and* its per-file subprocesses.
    { cwd: root, stdio: 'inherit', env: process.env, detached: true },
  );
  const killChild = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killChild);
  exitCode = await new Promise<number>((done) => {
    child.once('error', (err) => {
      console.error('[test] failed to start the test runner:', err);
      done(1);
    });
    child.once('exit', (code, signal) => done(code ?? (signal ? 128 + constants.signals[signal] : 1)));
  });
  process.off('exit', killChild);
} catch (err) {
  if (err instanceof TypeErrorsFound || err instanceof LintErrorsFound || err instanceof ContractsUnversioned)
    console.error(`[test] ${err.message}`);
  else console.error('[test] harness error:', err);
  exitCode = 1;
} finally {
  // Stop in reverse start order; a failing stop must not hide the test result.
  for (const svc of services.reverse()) {
    await svc.stop().catch((err: unknown) => console.error('[test] failed to stop service:', err));
  }
}
process.exit(exitCode);
