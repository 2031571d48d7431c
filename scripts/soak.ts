/**
 * `npm run soak`: the events checker at soak size — 10,000 events and 50 SIGKILLs in each
 * topology (EVENTS / KILLS / TOPOLOGY override) — on throwaway PostgreSQL and Redis.
 */
import { runChecker } from '../test/checker/checker.ts';
import { createDatabase, startPostgres, startRedis } from '../test/support/services.ts';

const events = Number(process.env.EVENTS ?? 10_000);
const kills = Number(process.env.KILLS ?? 50);
const topologies = (process.env.TOPOLOGY ?? 'split,monolith').split(',') as ('split' | 'monolith')[];
const pg = await startPostgres();
const redis = await startRedis();
let failed = false;
try {
  for (const topology of topologies) {
    const result = await runChecker({
      topology,
      databaseUrl: await createDatabase(pg.url),
      redisUrl: redis.url,
      events,
      kills,
      progress: (line) => console.log(line),
    });
    const ok = result.lost === 0 && result.unexpected === 0 && result.duplicated === 0 && result.kills === kills;
    failed ||= !ok;
    console.log(`[soak] ${topology}: ${ok ? 'PASS' : 'FAIL'} ${JSON.stringify(result)}`);
  }
} finally {
  await redis.stop();
  await pg.stop();
}
process.exit(failed ? 1 : 0);
