/**
 * Redis failover under load, shared by the test (CI size) and `npm run drill -- redis-failover`:
 * a deployment on Redis Sentinel or Redis Cluster (events over Redis Streams even in the
 * monolith), writers listing items with Idempotency-Keys; a Redis master is SIGKILLed, and
 * afterwards sessions, revocation, idempotency keys, rate limits and event delivery are checked.
 */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { type ApiResponse, apiClient } from '../support/api-client.ts';
import { testServers } from '../support/env.ts';
import { eventually } from '../support/eventually.ts';
import { drill } from '../support/fixtures.ts';
import { startCluster, startSentinel } from '../support/redis-ha.ts';
import { startTopology, type TopologyName } from '../support/topology.ts';
import { aroundFault } from './failover-load.ts';
import { longestGap } from './pg-failover-scenario.ts';

export type RedisSetupName = 'sentinel' | 'cluster';

export interface RedisFailoverResult {
  setup: RedisSetupName;
  topology: TopologyName;
  acknowledged: number;
  failedWrites: number;
  /** The longest time without an acknowledged write after the SIGKILL. */
  writeGapMs: number;
  /** Statuses of failed writes other than 503 (with Retry-After). */
  failedOtherwise: string[];
  /** The session made before the failover still authenticates afterwards. */
  sessionSurvived: boolean;
  /** After logout (post-failover), the access token is refused at once. */
  revokedAtOnce: boolean;
  /** The key used before the failover replays its first response afterwards. */
  idempotencyReplayed: boolean;
  /** Auth requests refused with 429 in a burst over the limit, after the failover. */
  rateLimited: number;
  /** Acknowledged listings the catalog never received (itemCreated lost). */
  eventsLost: number;
  /** Owner notifications beyond one per listing (an effect applied twice). */
  duplicatedEffects: number;
  /** After the load, how long the first session check waited out 503 + Retry-After (services still failing over). */
  recoveredMs: number;
  /** Statuses of the session checks, for the report. */
  statuses: Record<string, number>;
}

/** Runs one Redis failover drill on a fresh database. */
export async function runRedisFailover(options: {
  setup: RedisSetupName;
  topology?: TopologyName;
  loadMs?: number;
  workers?: number;
}): Promise<RedisFailoverResult> {
  const { setup, topology = 'monolith', loadMs = 1500, workers = 3 } = options;
  const redis = setup === 'sentinel' ? await startSentinel(2) : await startCluster(3);
  const authLimit = 40;
  const deployment = await startTopology(topology, {
    ...redis.env,
    REDIS_URL: '',
    EVENT_TRANSPORT: 'redis-streams',
    ...(setup === 'sentinel' ? { EVENT_STREAM_MIN_REPLICAS: '1' } : {}),
    EVENT_RETRY_DELAY_MS: '300',
    EVENT_MAX_ATTEMPTS: '100',
    RATE_LIMIT_AUTH_PER_MINUTE: String(authLimit),
    BREAKER_HALF_OPEN_MS: '500',
  }).catch(async (error: unknown) => {
    await redis.stop();
    throw error;
  });
  try {
    const api = apiClient(deployment.baseUrl);
    const owner = await api.newUser('redis-ha');
    const other = await api.newUser('redis-ha-2');
    const key = `before-${randomUUID()}`;
    const first = await api.request('POST', '/v1/items', {
      token: owner.accessToken,
      headers: { 'idempotency-key': key },
      body: drill({ title: 'kept key' }),
    });
    if (first.status !== 201) throw new Error(`first listing failed: ${first.status}`);
    const { acknowledged, failedWrites, failedOtherwise, faultAt } = await aroundFault({
      api,
      token: owner.accessToken,
      workers,
      loadMs,
      recoverMs: 60_000,
      idempotencyKeys: true,
      title: 'redis drill',
      acknowledged: [{ id: first.body.id, at: Date.now() }],
      async fault(injected) {
        const victim =
          setup === 'sentinel'
            ? await (redis as Awaited<ReturnType<typeof startSentinel>>).masterPort()
            : (await (redis as Awaited<ReturnType<typeof startCluster>>).masterPorts())[0]!;
        injected();
        redis.kill(victim);
      },
    });

    // Checks run as a client honouring 503 + Retry-After would: a service may still be failing over.
    const recoveringFrom = Date.now();
    const me = await whileUnavailable(() => api.request('GET', '/v1/users/me', { token: other.accessToken }));
    const recoveredMs = Date.now() - recoveringFrom;
    const replay = await whileUnavailable(() =>
      api.request('POST', '/v1/items', {
        token: owner.accessToken,
        headers: { 'idempotency-key': key },
        body: drill({ title: 'kept key' }),
      }),
    );
    const loggedOut = await whileUnavailable(() =>
      api.request('POST', '/v1/auth/logout', { token: other.accessToken, body: {} }),
    );
    const afterLogout = await whileUnavailable(() => api.request('GET', '/v1/users/me', { token: other.accessToken }));
    const burst = await Promise.all(
      Array.from({ length: authLimit + 10 }, () =>
        api.request('POST', '/v1/auth/login', { body: { email: other.email, password: 'wrong password!' } }),
      ),
    );

    const sql = postgres(deployment.env.DATABASE_URL ?? testServers().pgUrl, { max: 1, onnotice: () => {} });
    try {
      const ids = acknowledged.map((w) => w.id);
      const projected = await eventually(
        'the catalog to receive every listing',
        async () => {
          const [row] = await sql<
            { n: number }[]
          >`select count(*)::int as n from catalog.items where item_id = any(${ids}::uuid[])`;
          return row!.n === ids.length ? row!.n : undefined;
        },
        30_000,
      ).catch(
        async () =>
          (
            await sql<{ n: number }[]>`select count(*)::int as n from catalog.items where item_id = any(${ids}::uuid[])`
          )[0]!.n,
      );
      const [listed] = await sql<
        { n: number }[]
      >`select count(*)::int as n from notifications.notifications where user_id = ${owner.id} and kind = 'itemListed'`;
      return {
        setup,
        topology,
        acknowledged: acknowledged.length,
        failedWrites,
        writeGapMs: longestGap(
          acknowledged.map((w) => w.at),
          faultAt,
        ),
        failedOtherwise,
        recoveredMs,
        sessionSurvived: me.status === 200,
        revokedAtOnce: afterLogout.status === 401,
        statuses: { me: me.status, logout: loggedOut.status, afterLogout: afterLogout.status },
        idempotencyReplayed:
          replay.status === 201 &&
          replay.body.id === first.body.id &&
          replay.headers.get('idempotent-replayed') === 'true',
        rateLimited: burst.filter((r) => r.status === 429).length,
        eventsLost: ids.length - projected,
        duplicatedEffects: Math.max(0, listed!.n - ids.length),
      };
    } finally {
      await sql.end();
    }
  } finally {
    await deployment.stop();
    await redis.stop();
  }
}

/** Sends again while the answer is 503 with Retry-After (at most 15 s); any other answer is returned as it is. */
async function whileUnavailable(send: () => Promise<ApiResponse>): Promise<ApiResponse> {
  const until = Date.now() + 15_000;
  for (;;) {
    const response = await send();
    if (response.status !== 503 || !response.headers.get('retry-after') || Date.now() > until) return response;
    await new Promise((r) => setTimeout(r, 250));
  }
}
