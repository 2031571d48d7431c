import assert from 'node:assert/strict';
import type { HttpHint, Op } from '../../src/shared/bus/contract.ts';

/**
 * Asserts that the ops with an HTTP hint number `routeCount` and are each documented under
 * their name at their path, and that no op without one is public; returns each documented
 * op with its OpenAPI operation, for the suite's own checks.
 */
export function documentedOperations<O extends { operationId: string }>(
  paths: Record<string, Record<string, O>>,
  ops: Op[],
  routeCount: number,
): { op: Op & { http: HttpHint }; operation: O }[] {
  assert.equal(ops.filter((o) => o.http).length, routeCount, 'the contract and this list disagree');
  const operationIds = Object.values(paths).flatMap((methods) => Object.values(methods).map((o) => o.operationId));
  const documented: { op: Op & { http: HttpHint }; operation: O }[] = [];
  for (const op of ops) {
    if (!op.http) {
      assert.ok(!operationIds.includes(op.name), `${op.name} has no HTTP hint but is public`);
      continue;
    }
    const operation = paths[op.http.path]?.[op.http.method];
    assert.ok(operation, `${op.name} not documented`);
    assert.equal(operation.operationId, op.name);
    documented.push({ op: op as Op & { http: HttpHint }, operation });
  }
  return documented;
}
