import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { spawnRuntime, stopAll, waitForReady } from '../../scripts/processes.ts';
import { startSplitTopology, type SplitTopology } from '../../scripts/split-topology.ts';
import { apiClient } from '../support/api-client.ts';
import { testDeploymentEnv, testServers } from '../support/env.ts';
import { createDatabase, freePort } from '../support/services.ts';

const item = {
  title: 'Tent for four',
  description: 'Waterproof, two rooms',
  category: 'camping',
  dailyPrice: { amount: 900, currency: 'EUR' },
  deposit: { amount: 10_000, currency: 'EUR' },
  condition: 'good',
};

/** Sends SIGKILL and waits until the process is gone. */
async function kill(topology: SplitTopology, name: string) {
  const process = topology.processes.find((p) => p.name === name)!;
  const gone = new Promise((resolve) => process.child.once('exit', resolve));
  process.child.kill('SIGKILL');
  await gone;
}

describe('gateway (split topology)', () => {
  const AUTH_LIMIT = 5;
  let topology: SplitTopology;
  let secondGateway: ReturnType<typeof spawnRuntime>;
  let secondUrl: string;
  let env: Record<string, string>;

  before(async () => {
    const { pgUrl, redisUrl } = testServers();
    env = {
      ...testDeploymentEnv(),
      DATABASE_URL: await createDatabase(pgUrl),
      REDIS_URL: redisUrl,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_AUTH_PER_MINUTE: String(AUTH_LIMIT),
      // Behind one proxy hop: X-Forwarded-For names the client, so each test is its own client.
      TRUST_PROXY: '1',
      HEALTH_INTERVAL_MS: '300',
      BREAKER_HALF_OPEN_MS: '1000',
      BUS_TIMEOUT_MS: '5000',
    };
    topology = await startSplitTopology({ env, gatewayPort: await freePort() });
    const port = await freePort();
    secondUrl = `http://127.0.0.1:${port}`;
    secondGateway = spawnRuntime('gateway.ts', { ...env, PORT: String(port) }, { name: 'gateway-2' });
    await waitForReady(`${secondUrl}/readyz`, 30_000, secondGateway);
  });
  after(async () => {
    await stopAll([secondGateway]);
    await topology.stop();
  });

  test('auth rate limit: exactly the configured number pass across two gateway instances', async () => {
    const gateways = [apiClient(topology.gatewayUrl), apiClient(secondUrl)];
    const attempts = await Promise.all(
      Array.from({ length: 4 * AUTH_LIMIT }, (_, i) =>
        gateways[i % 2]!.request('POST', '/v1/auth/login', {
          body: { email: `nobody${i}@example.test`, password: 'wrong password' },
          headers: { 'x-forwarded-for': '203.0.113.7' },
        }),
      ),
    );
    const passed = attempts.filter((r) => r.status !== 429);
    const limited = attempts.filter((r) => r.status === 429);
    assert.equal(passed.length, AUTH_LIMIT, `statuses: ${attempts.map((r) => r.status).join(',')}`);
    for (const r of passed) assert.equal(r.status, 401);
    for (const r of limited) {
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      assert.equal(r.body.code, 'rateLimited');
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      assert.equal(r.headers.get('ratelimit-remaining'), '0');
    }
  });

  test('item details compose two modules and degrade without identity; public GETs fall back to stale', async () => {
    const api = apiClient(topology.gatewayUrl);
    const owner = await api.newUser('owner');
    const created = await api.request('POST', '/v1/items', { token: owner.accessToken, body: item });
    assert.equal(created.status, 201);
    const id = created.body.id as string;

    const details = await api.request('GET', `/v1/items/${id}/details`);
    assert.equal(details.status, 200);
    assert.equal(details.body.item.id, id);
    assert.deepEqual(details.body.owner, { id: owner.id, displayName: 'owner' });
    assert.equal(details.body.warnings, undefined);
    const fresh = await api.request('GET', `/v1/items/${id}`);
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers.get('x-shareloop-stale'), null);

    await kill(topology, 'identity');
    const degraded = await api.request('GET', `/v1/items/${id}/details`);
    assert.equal(degraded.status, 200);
    assert.equal(degraded.body.item.id, id);
    assert.equal(degraded.body.owner, undefined);
    assert.deepEqual(degraded.body.warnings, ['owner profile unavailable']);

    await kill(topology, 'inventory-1');
    await kill(topology, 'inventory-2');
    const stale = await api.request('GET', `/v1/items/${id}`);
    assert.equal(stale.status, 200);
    assert.equal(stale.body.id, id);
    assert.equal(stale.headers.get('x-shareloop-stale'), 'true');
    assert.match(stale.headers.get('warning') ?? '', /^110 /);
    const never = await api.request('GET', `/v1/items/${crypto.randomUUID()}`);
    assert.equal(never.status, 503, 'nothing cached: the outage shows');
    assert.ok(Number(never.headers.get('retry-after')) >= 1);
  });
});
