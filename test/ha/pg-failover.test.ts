import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topologies } from '../support/topology.ts';
import { runPgFailover } from './pg-failover-scenario.ts';

// A primary and four streaming replicas; SIGKILL the primary under writes and reads, promote a standby.
for (const topology of topologies) {
  test(`${topology}: PostgreSQL failover under load loses no acknowledged write and resumes without a restart`, async () => {
    const result = await runPgFailover({ topology, replicas: 4, loadMs: 1500 });
    console.log(`[ha] pg failover ${topology}: ${JSON.stringify(result)}`);
    assert.ok(result.acknowledged > 5, `writes were acknowledged before and after (${result.acknowledged})`);
    assert.equal(result.lost, 0, 'every acknowledged write is on the new primary');
    assert.deepEqual(result.failedOtherwise, [], 'writes without a primary fail with 503 + Retry-After');
    assert.ok(result.writeGapMs < 15_000, `writes resumed after ${result.writeGapMs} ms`);
    assert.ok(result.reads > 0, 'reads ran');
    assert.equal(result.staleReads, 0, 'no read returned data older than the lag bound');
    assert.ok(result.eventsResumed, 'relay and consumers resumed: a listing after the failover reached the catalog');
    // The gateway hosts no module: roles and database metrics are the services' own (monolith checked).
    if (topology === 'monolith') {
      assert.ok(
        JSON.stringify(result.roles).includes('"primary"'),
        `/readyz shows the roles: ${JSON.stringify(result.roles)}`,
      );
      assert.ok(result.replicaReadShare > 0.5, `reads went to replicas (${result.replicaReadShare})`);
      assert.ok(result.failoversSeen >= 1, 'db_failovers_total counted the failover');
    }
  });
}
