import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CanaryJudge, type CanaryThresholds } from './canary-judge.ts';

const thresholds: CanaryThresholds = {
  windowMs: 1_000,
  minCalls: 10,
  maxErrorRatioDelta: 0.05,
  maxLatencyRatio: 1.5,
  latencySlackMs: 20,
};

function judgeAt(start = 0) {
  let now = start;
  const judge = new CanaryJudge(thresholds, () => now);
  return { judge, advance: (ms: number) => (now += ms) };
}

test('no verdict before the canary has minCalls calls, even if all failed', () => {
  const { judge } = judgeAt();
  for (let i = 0; i < 9; i++) judge.record('canary', false, 5);
  assert.equal(judge.verdict().outcome, 'continue');
  judge.record('canary', false, 5);
  const verdict = judge.verdict();
  assert.equal(verdict.outcome, 'rollback');
  assert.match(verdict.outcome === 'rollback' ? verdict.reason : '', /error ratio 100\.0%/);
});

test('a canary as good as stable is promoted once the window has passed, not before', () => {
  const { judge, advance } = judgeAt();
  for (let i = 0; i < 20; i++) {
    judge.record('canary', i !== 0, 10);
    judge.record('stable', i !== 0, 10);
  }
  assert.equal(judge.verdict().outcome, 'continue');
  advance(1_000);
  const verdict = judge.verdict();
  assert.equal(verdict.outcome, 'promote');
  assert.equal(verdict.outcome === 'promote' && verdict.canary.calls, 20);
});

test('an error ratio within the allowed delta of stable is tolerated; beyond it rolls back', () => {
  const { judge } = judgeAt();
  for (let i = 0; i < 100; i++) judge.record('stable', i % 10 !== 0, 10); // 10 % errors
  for (let i = 0; i < 20; i++) judge.record('canary', i >= 3, 10); // 15 %
  assert.equal(judge.verdict().outcome, 'continue');
  judge.record('canary', false, 10); // 4 / 21 = 19 %
  assert.equal(judge.verdict().outcome, 'rollback');
});

test('a canary slower than stable beyond ratio and slack rolls back', () => {
  const { judge } = judgeAt();
  for (let i = 0; i < 20; i++) judge.record('stable', true, 10);
  for (let i = 0; i < 20; i++) judge.record('canary', true, 30); // ≤ 10 × 1.5 + 20
  assert.equal(judge.verdict().outcome, 'continue');
  for (let i = 0; i < 20; i++) judge.record('canary', true, 200);
  const verdict = judge.verdict();
  assert.equal(verdict.outcome, 'rollback');
  assert.match(verdict.outcome === 'rollback' ? verdict.reason : '', /p95 latency 200 ms/);
});
