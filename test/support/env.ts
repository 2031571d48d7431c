import { randomBytes } from 'node:crypto';

/** The servers `npm test` started (or was given); fails clearly when run outside it. */
export function testServers(): { pgUrl: string; redisUrl: string } {
  const pgUrl = process.env.TEST_PG_URL;
  const redisUrl = process.env.TEST_REDIS_URL;
  if (!pgUrl || !redisUrl)
    throw new Error(
      'Run tests through `npm test`, which starts PostgreSQL and Redis (TEST_PG_URL / TEST_REDIS_URL unset).',
    );
  return { pgUrl, redisUrl };
}

/**
 * Environment every test deployment starts from: its own Redis namespace (tests share one
 * Redis), its own random internal service secret (services refuse the development one), and rate limits high enough that suites registering many users are not throttled
 * (the rate-limit tests set their own).
 */
export function testDeploymentEnv(): Record<string, string> {
  return {
    NODE_ENV: 'test',
    REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}:`,
    INTERNAL_SERVICE_SECRET: randomBytes(24).toString('hex'),
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RATE_LIMIT_WRITES_PER_MINUTE: '100000',
    RATE_LIMIT_GLOBAL_PER_MINUTE: '1000000',
  };
}
