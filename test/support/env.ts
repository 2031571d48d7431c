/** The servers `npm test` started (or was given); fails clearly when run outside it. */
export function testServers(): { pgUrl: string; redisUrl: string } {
  const pgUrl = process.env.TEST_PG_URL;
  const redisUrl = process.env.TEST_REDIS_URL;
  if (!pgUrl || !redisUrl) throw new Error('Run tests through `npm test`, which starts PostgreSQL and Redis (TEST_PG_URL / TEST_REDIS_URL unset).');
  return { pgUrl, redisUrl };
}
