/**
 * `npm run drill -- pg-failover|redis-failover`: a failover drill on throwaway servers, longer
 * than the CI test, printing what it measured (write gap, requests failed, writes lost).
 *   TOPOLOGY=monolith|split (default both), LOAD_MS (default 5000) of load before the kill and after;
 *   pg-failover: REPLICAS (default 4); redis-failover: SETUP=sentinel|cluster (default both).
 */
import { runPgFailover } from '../test/ha/pg-failover-scenario.ts';
import { runRedisFailover, type RedisSetupName } from '../test/ha/redis-failover-scenario.ts';
import { startPostgres, startRedis } from '../test/support/services.ts';
import type { TopologyName } from '../test/support/topology.ts';

const drill = process.argv[2];
if (drill !== 'pg-failover' && drill !== 'redis-failover') {
  console.error('usage: npm run drill -- pg-failover|redis-failover');
  process.exit(64);
}
const topologies = (process.env.TOPOLOGY ?? 'monolith,split').split(',') as TopologyName[];
const loadMs = Number(process.env.LOAD_MS ?? 5000);
process.env.DRILL_VERBOSE ??= '1';
const pg = await startPostgres();
const redis = await startRedis();
process.env.TEST_PG_URL = pg.url;
process.env.TEST_REDIS_URL = redis.url;
let failed = false;
try {
  for (const topology of topologies) {
    if (drill === 'pg-failover') {
      const r = await runPgFailover({ topology, replicas: Number(process.env.REPLICAS ?? 4), loadMs });
      const ok = r.lost === 0 && r.staleReads === 0 && r.failedOtherwise.length === 0 && r.eventsResumed;
      failed ||= !ok;
      console.log(
        `[drill] pg-failover ${topology}: ${ok ? 'PASS' : 'FAIL'} — 1 primary + ${r.replicas} replicas; promotion ${r.promotionMs} ms; ` +
          `write gap ${r.writeGapMs} ms; writes acknowledged ${r.acknowledged}, failed ${r.failedWrites} (503 + Retry-After: ${r.failedWrites - r.failedOtherwise.length}), lost ${r.lost}; ` +
          `reads ${r.reads}, stale ${r.staleReads}, on replicas ${(r.replicaReadShare * 100).toFixed(0)} %; events resumed ${r.eventsResumed}`,
      );
    } else {
      for (const setup of (process.env.SETUP ?? 'sentinel,cluster').split(',') as RedisSetupName[]) {
        const r = await runRedisFailover({ setup, topology, loadMs });
        const ok =
          r.eventsLost === 0 &&
          r.duplicatedEffects === 0 &&
          r.failedOtherwise.length === 0 &&
          r.sessionSurvived &&
          r.revokedAtOnce &&
          r.idempotencyReplayed &&
          r.rateLimited > 0;
        failed ||= !ok;
        console.log(
          `[drill] redis-failover ${setup} ${topology}: ${ok ? 'PASS' : 'FAIL'} — write gap ${r.writeGapMs} ms; writes acknowledged ${r.acknowledged}, failed ${r.failedWrites}; ` +
            `events lost ${r.eventsLost}, duplicated ${r.duplicatedEffects}; session kept ${r.sessionSurvived}, revoked at once ${r.revokedAtOnce}, ` +
            `idempotency replayed ${r.idempotencyReplayed}, rate-limited ${r.rateLimited}`,
        );
      }
    }
  }
} finally {
  await redis.stop();
  await pg.stop();
}
process.exit(failed ? 1 : 0);
