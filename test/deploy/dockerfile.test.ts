import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { deployDir } from './render.ts';

const require = createRequire(import.meta.url);
const dockerfile = join(deployDir, 'Dockerfile');
const text = readFileSync(dockerfile, 'utf8');

test('the Dockerfile passes dockerfilelint', () => {
  const linter = join(require.resolve('dockerfilelint/package.json'), '..', 'bin', 'dockerfilelint');
  const run = () => execFileSync(process.execPath, [linter, '-o', 'json', dockerfile], { encoding: 'utf8' });
  let report: { totalIssues: number; files: { issues: unknown[] }[] };
  try {
    report = JSON.parse(run());
  } catch (error) {
    report = JSON.parse((error as { stdout: string }).stdout);
  }
  assert.equal(report.totalIssues, 0, JSON.stringify(report.files[0]?.issues, null, 1));
});

test('multi-stage, production dependencies only, non-root, health check, one image for every runtime', () => {
  assert.ok((text.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
  assert.match(text, /npm ci --omit=dev/);
  assert.match(text, /^USER 10001$/m);
  assert.match(text, /^HEALTHCHECK .*\n?.*\/healthz/m);
  assert.match(text, /^ENTRYPOINT \["node", "--import", "tsx"\]$/m);
  assert.match(text, /^CMD \["src\/runtimes\/monolith.ts"\]$/m);
  const ignore = readFileSync(join(deployDir, '..', '.dockerignore'), 'utf8').split('\n');
  for (const entry of ['node_modules', 'test', '**/*.test.ts', '.git'])
    assert.ok(ignore.includes(entry), `.dockerignore has ${entry}`);
});
