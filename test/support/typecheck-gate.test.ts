import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testServers } from './env.ts';

// `npm test` typechecks first: a type error fails the run (and so .ci/run) before any test runs.
const root = fileURLToPath(new URL('../..', import.meta.url));
const project = mkdtempSync(join(tmpdir(), 'shareloop-typecheck-'));
after(() => rmSync(project, { recursive: true, force: true }));

/** Runs test/run.ts on one pure test file, typechecking the project at `tsconfig` instead of ours. */
async function runHarness(tsconfig: string): Promise<{ code: number | null; output: string }> {
  const { pgUrl, redisUrl } = testServers();
  // Without this variable's removal the inner test runner thinks it is nested in ours and runs nothing.
  const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/run.ts', 'src/shared/http/idempotency-key.test.ts'], {
    cwd: root,
    env: { ...env, TYPECHECK_PROJECT: tsconfig, DATABASE_URL: pgUrl, REDIS_URL: redisUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, output };
}

function projectWith(source: string): string {
  writeFileSync(join(project, 'code.ts'), source);
  const tsconfig = join(project, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [] }, files: ['code.ts'] }),
  );
  return tsconfig;
}

test('a type error fails the run, naming it, and no test runs', async () => {
  const { code, output } = await runHarness(projectWith("export const count: number = 'three';\n"));
  assert.equal(code, 1, output);
  assert.match(output, /code\.ts\(1,14\): error TS2322: Type 'string' is not assignable to type 'number'/);
  assert.match(output, /\[test\] tsc --noEmit found type errors \(above\): no test was run/);
  assert.doesNotMatch(output, /ℹ tests \d+/);
});

test('a clean typecheck lets the tests run', async () => {
  const { code, output } = await runHarness(projectWith('export const count: number = 3;\n'));
  assert.equal(code, 0, output);
  assert.match(output, /\[test\] tsc --noEmit: no type errors/);
  assert.match(output, /ℹ fail 0/);
});
