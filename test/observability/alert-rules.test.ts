import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { prometheusBinary } from './prometheus-binaries.ts';

const dir = fileURLToPath(new URL('../../deploy/observability/prometheus/', import.meta.url));
const ruleFiles = readdirSync(join(dir, 'rules'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => join(dir, 'rules', f));
const testFiles = readdirSync(join(dir, 'tests'))
  .filter((f) => f.endsWith('.test.yml'))
  .map((f) => join(dir, 'tests', f));

test('every alert rule file is valid and has a promtool unit test', () => {
  assert.ok(ruleFiles.length >= 4, 'rule files found');
  execFileSync(prometheusBinary('promtool'), ['check', 'rules', ...ruleFiles], { stdio: 'pipe' });
  const tested = new Set(testFiles.map((f) => f.split('/').pop()!.replace('.test.yml', '.yml')));
  for (const file of ruleFiles) assert.ok(tested.has(file.split('/').pop()!), `${file} has tests/<name>.test.yml`);
});

test('promtool test rules: every alert fires when it should and stays quiet when it should', () => {
  const run = spawnSync(prometheusBinary('promtool'), ['test', 'rules', ...testFiles], {
    cwd: join(dir, 'tests'),
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const alerts = ruleFiles.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]!));
  const tests = testFiles.map((f) => readFileSync(f, 'utf8')).join('\n');
  for (const alert of alerts) assert.match(tests, new RegExp(`alertname: ${alert}\\b`), `${alert} has a unit test`);
});
