import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topologies } from '../support/topology.ts';
import { runRedisFailover, type RedisSetupName } from './redis-failover-scenario.ts';

// Sentinel (1 master + 2 replicas + 3 sentinels) and Cluster (3 masters + 3 replicas), monolith and split: SIGKILL a master under writes.
for (const topology of topologies)
  for (const setup of ['sentinel', 'cluster'] as RedisSetupName[]) {
    test(`${topology} on ${setup}: after a Redis master is killed, sessions, revocation, idempotency keys, rate limits and events keep working`, async () => {
      const result = await runRedisFailover({ setup, topology, loadMs: 1500 });
      console.log(`[ha] redis failover ${topology} ${setup}: ${JSON.stringify(result)}`);
      assert.ok(result.acknowledged > 5, `writes were acknowledged (${result.acknowledged})`);
      assert.deepEqual(result.failedOtherwise, [], 'writes during the failover fail only with 503 + Retry-After');
      assert.ok(result.writeGapMs < 15_000, `writes resumed (longest gap ${result.writeGapMs} ms)`);
      assert.ok(
        result.sessionSurvived,
        `a session from before the failover still authenticates (${JSON.stringify(result.statuses)})`,
      );
      assert.ok(result.revokedAtOnce, 'a logout after the failover revokes the token at once');
      assert.ok(result.idempotencyReplayed, 'a key stored before the failover replays its response');
      assert.ok(result.rateLimited > 0, 'rate limits still apply');
      assert.equal(result.eventsLost, 0, 'every listing reached the catalog through Redis Streams');
      assert.equal(result.duplicatedEffects, 0, 'no event applied twice');
    });
  }
