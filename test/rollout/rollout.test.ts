/**
 * Rollouts in split mode under steady load through the gateway: real processes on loopback
 * (two identity and two inventory instances, one gateway), every failed request counted.
 * One topology runs the strategies in turn: a rolling restart of every instance, a blue-green
 * switch of inventory, a healthy canary (promoted), a failing canary (rolled back by the
 * gateway with a bounded number of failed calls), and a slow shadow that answers differently.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { blueGreen, canary, rolling, shadow, type Fleet } from '../../scripts/rollout/strategies.ts';
import type { RolloutStore } from '../../src/shared/rollout/rollout-store.ts';
import {
  faultEnv,
  internalCallsServed,
  listing,
  newUser,
  percentile,
  scrapeMetric,
  startFaultTopology,
  timed,
  type FaultTopology,
} from '../faults/fault-support.ts';
import { eventually } from '../support/eventually.ts';
import { startLoad, topologyFleet, topologyStore, type LoadCall } from './rollout-support.ts';

const MIN_CALLS = 8;
const SHADOW_DELAY_MS = 5_000;
const LOOPS = 2;
const say = () => {};

describe('rollouts under load in split mode', () => {
  let topology: FaultTopology;
  let fleet: Fleet;
  let store: RolloutStore;
  let closeStore: () => Promise<void>;
  let calls: LoadCall[];
  let itemId: string;
  const title = 'rollout fixture';

  before(async () => {
    topology = await startFaultTopology(
      await faultEnv({
        HEALTH_INTERVAL_MS: '500',
        // A shared, busy machine: password hashes and cold starts take long; failures here must be the rollout's.
        BUS_TIMEOUT_MS: '10000',
        // One slow /readyz must not eject the last instance standing while its twin restarts.
        HEALTH_TIMEOUT_MS: '3000',
        DISCOVERY_TTL_MS: '3000',
        CANARY_WINDOW_MS: '3000',
        CANARY_MIN_CALLS: String(MIN_CALLS),
        // The machine is shared: latency alone must not roll back a healthy canary here (canary-judge.test.ts covers it).
        CANARY_LATENCY_SLACK_MS: '5000',
        SHADOW_TIMEOUT_MS: '8000',
      }),
      [
        { name: 'identity-1', modules: 'identity' },
        { name: 'identity-2', modules: 'identity' },
        { name: 'inventory-1', modules: 'inventory' },
        { name: 'inventory-2', modules: 'inventory' },
      ],
    );
    fleet = topologyFleet(topology);
    ({ store, close: closeStore } = topologyStore(topology.env));
    const gateway = topology.gatewayUrl;
    const users: { id: string; accessToken: string }[] = [];
    for (const n of [1, 2, 3, 4]) users.push(await newUser(gateway, `rollout${n}`));
    const created = await timed(gateway, 'POST', '/v1/items', { token: users[0]!.accessToken, body: listing(title) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    itemId = created.body.id;
    // Reads of inventory, anonymous and as four users (sticky canary keys), and an identity call.
    calls = [
      {
        what: 'GET /v1/items/{id}',
        send: () => timed(gateway, 'GET', `/v1/items/${itemId}`),
        ok: (r) => r.status === 200 && r.body.title === title,
      },
      ...users.map((user) => ({
        what: 'GET /v1/items/{id}/history (signed in)',
        send: () => timed(gateway, 'GET', `/v1/items/${itemId}/history`, { token: user.accessToken }),
        ok: (r: { status: number; body: any }) => r.status === 200 && r.body.itemId === itemId,
      })),
      {
        what: 'GET /v1/users/me',
        send: () => timed(gateway, 'GET', '/v1/users/me', { token: users[1]!.accessToken }),
        ok: (r) => r.status === 200 && r.body.id === users[1]!.id,
      },
    ];
  });
  after(async () => {
    await closeStore?.();
    await topology?.stopEverything();
  });

  const failuresOf = (results: { ok: boolean; what: string; status: number; body: unknown }[]) =>
    results.filter((r) => !r.ok).map((r) => `${r.what} → ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);

  test('rolling: every instance of every service restarted one by one, no failed request', async () => {
    const load = startLoad(calls, { loops: LOOPS });
    await eventually('load running', async () => (load.count() >= 10 ? true : undefined));
    await rolling(fleet, 'identity', say);
    await rolling(fleet, 'inventory', say);
    const results = await load.stop();
    assert.deepEqual(failuresOf(results), [], `${results.length} requests`);
    assert.ok(results.length >= 20, `${results.length} requests`);
  });

  test('blue-green: inventory switched to 0.2.0 at once, blue drained, no failed request, then only green serves', async () => {
    const load = startLoad(calls, { loops: LOOPS });
    const { started, stopped } = await blueGreen({ fleet, store, module: 'inventory', version: '0.2.0' }, say);
    assert.equal(stopped.length, 2);
    const served = async () => Promise.all(started.map((i) => internalCallsServed(i.url)));
    const before = (await served()).reduce((a, b) => a + b, 0);
    await eventually('green serves the load', async () => {
      const now = (await served()).reduce((a, b) => a + b, 0);
      return now >= before + 10 ? true : undefined;
    });
    const results = await load.stop();
    assert.deepEqual(failuresOf(results), [], `${results.length} requests`);
    // Every inventory call the gateway made since the switch went to 0.2.0: blue is gone, and the gateway counts by version.
    for (const old of stopped) assert.notEqual(topology.process(old.name).child.exitCode, null, `${old.name} exited`);
    const green = await scrapeMetric(topology.gatewayUrl, 'rollout_version_calls_total', {
      module: 'inventory',
      version: '0.2.0',
    });
    assert.ok(green > 0, 'the gateway counted calls to 0.2.0');
    assert.deepEqual(store.plan('inventory') && { ...store.plan('inventory'), id: '' }, {
      mode: 'pinned',
      id: '',
      version: '0.2.0',
      reason: 'blue-green',
    });
  });

  test('canary: a healthy 0.3.0 takes its share of users and is promoted after the window, no failed request', async () => {
    const load = startLoad(calls, { loops: LOOPS });
    const promotedBefore = await scrapeMetric(topology.gatewayUrl, 'rollout_decisions_total', { outcome: 'promoted' });
    const outcome = await canary(
      { fleet, store, module: 'inventory', version: '0.3.0', weight: 0.5, timeoutMs: 120_000 },
      say,
    );
    const results = await load.stop();
    assert.equal(outcome, 'promoted');
    assert.deepEqual(failuresOf(results), [], `${results.length} requests`);
    const plan = store.plan('inventory');
    assert.equal(plan?.mode === 'pinned' && `${plan.version} ${plan.reason}`, '0.3.0 promoted');
    const promoted = await scrapeMetric(topology.gatewayUrl, 'rollout_decisions_total', { outcome: 'promoted' });
    assert.equal(promoted, promotedBefore + 1, 'the gateway counted its decision');
    const versions = new Set((await fleet.list('inventory')).map((i) => i.version));
    assert.deepEqual([...versions], ['0.3.0'], 'the old instances were replaced');
  });

  test('canary: a failing 0.4.0 is rolled back by the gateway with a bounded number of failed requests', async () => {
    const load = startLoad(calls, { loops: LOOPS });
    const outcome = await canary(
      {
        fleet,
        store,
        module: 'inventory',
        version: '0.4.0',
        weight: 0.5,
        env: { FAULT_BUS_ERROR_RATIO: '1' },
        timeoutMs: 120_000,
      },
      say,
    );
    // Some load after the rollback: none of it may fail.
    const afterRollback = load.count();
    await eventually('load after the rollback', async () => (load.count() >= afterRollback + 20 ? true : undefined));
    const results = await load.stop();
    assert.equal(outcome, 'rolled-back');
    const plan = store.plan('inventory');
    assert.equal(plan?.mode === 'pinned' && `${plan.version} ${plan.reason}`, '0.3.0 rolled-back');
    const failures = failuresOf(results);
    // The gateway decides on the canary's MIN_CALLS-th call; calls in flight meanwhile fail too.
    assert.ok(failures.length >= 1, 'the fault showed');
    assert.ok(failures.length <= MIN_CALLS + LOOPS, `${failures.length} failed: ${failures.join('\n')}`);
    assert.ok(
      failures.every((f) => f.includes('→ 500')),
      failures.join('\n'),
    );
    assert.deepEqual(failuresOf(results.slice(afterRollback)), [], 'nothing fails after the rollback');
    assert.equal(await scrapeMetric(topology.gatewayUrl, 'rollout_decisions_total', { outcome: 'rolled_back' }), 1);
  });

  test('shadow: a slow 0.5.0 that answers differently is compared (mismatch with its path) and never slows or reaches clients', async () => {
    const baseline = startLoad(calls.slice(0, 1), { loops: LOOPS });
    await eventually('baseline', async () => (baseline.count() >= 20 ? true : undefined));
    const reference = (await baseline.stop()).map((r) => r.ms);
    const slow = await shadow(
      {
        fleet,
        store,
        module: 'inventory',
        version: '0.5.0',
        sample: 1,
        env: { FAULT_BUS_DELAY_MS: String(SHADOW_DELAY_MS), FAULT_BUS_ALTER_FIELD: 'title' },
      },
      say,
    );
    const load = startLoad(calls.slice(0, 1), { loops: LOOPS });
    const mismatches = () =>
      scrapeMetric(topology.gatewayUrl, 'shadow_comparisons_total', { module: 'inventory', outcome: 'mismatch' });
    await eventually('mismatches counted', async () => ((await mismatches()) >= 3 ? true : undefined), 60_000);
    const results = await load.stop();
    assert.deepEqual(failuresOf(results), [], 'every client got the stable answer (title unaltered)');
    const p95 = percentile(
      results.map((r) => r.ms),
      95,
    );
    // Scaled by the machine's state (shared, busy), capped at half the shadow's delay: waiting for it would break it.
    const budget = Math.min(SHADOW_DELAY_MS / 2, Math.max(500, 5 * percentile(reference, 95)));
    assert.ok(
      p95 < budget,
      `client p95 ${Math.round(p95)} ms with a ${SHADOW_DELAY_MS} ms shadow (budget ${Math.round(budget)} ms)`,
    );
    assert.ok(
      (await scrapeMetric(topology.gatewayUrl, 'shadow_mismatch_paths_total', { path: '$.output.title' })) >= 3,
      'the differing path is recorded',
    );
    assert.equal(await internalCallsServed(slow.url).then((n) => n > 0), true, 'the shadow was called');
  });
});
