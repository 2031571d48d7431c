import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSplitTopology, withReplicas, type SplitTopology } from '../../scripts/split-topology.ts';
import { rulesDir, startPrometheus, type PrometheusServer } from '../observability/prometheus-server.ts';
import { eventually } from '../rentals/support/world.ts';
import { apiClient } from '../support/api-client.ts';
import { testDeploymentEnv, testServers } from '../support/env.ts';
import { createDatabase, freePort } from '../support/services.ts';

const CONCURRENCY = 8;
/** The instance-down alert's `for`, shortened from 1m for the test (the rule is otherwise the repository's). */
const FOR_SECONDS = 3;

let topology: SplitTopology;
let prometheus: PrometheusServer;
let rules: string;

before(async () => {
  const { pgUrl, redisUrl } = testServers();
  const env = {
    ...testDeploymentEnv(),
    DATABASE_URL: await createDatabase(pgUrl),
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'warn',
  };
  topology = await startSplitTopology({
    env,
    gatewayPort: await freePort(),
    gateways: 2,
    layout: withReplicas({ inventory: 2 }),
  });
  rules = mkdtempSync(join(tmpdir(), 'shareloop-rules-'));
  cpSync(rulesDir, rules, { recursive: true });
  const availability = join(rules, 'shareloop-availability.yml');
  const text = readFileSync(availability, 'utf8');
  const shortened = text.replace(/(alert: ShareloopInstanceDown[\s\S]*?for: )1m/, `$1${FOR_SECONDS}s`);
  assert.notEqual(shortened, text, 'the instance-down rule has the expected `for: 1m`');
  writeFileSync(availability, shortened);
  const targets = topology.processes
    .filter((p) => p.name !== 'haproxy')
    .map((p) => ({ address: new URL(p.url).host, labels: { process: p.name } }));
  prometheus = await startPrometheus(targets, rules);
});

after(async () => {
  await prometheus?.stop();
  await topology?.stop();
  if (rules) rmSync(rules, { recursive: true, force: true });
});

test('through HAProxy, SIGKILL of a gateway and of an inventory instance under load fails only in-flight requests; the instance-down alert fires', async () => {
  const api = apiClient(topology.gatewayUrl);
  const owner = await api.newUser('owner');
  const item = await api.request('POST', '/v1/items', {
    token: owner.accessToken,
    headers: { 'idempotency-key': randomUUID() },
    body: {
      title: 'Ladder',
      category: 'tools',
      dailyPrice: { amount: 300, currency: 'EUR' },
      deposit: { amount: 2000, currency: 'EUR' },
      condition: 'good',
    },
  });
  assert.equal(item.status, 201);
  await eventually('every target scraped', async () => {
    const up = await prometheus.query('up');
    return up.length === topology.processes.length - 1 && up.every((s) => s.value[1] === '1') ? true : undefined;
  });

  let running = true;
  const outcomes = { ok: 0, failed: 0, errors: new Map<string, number>() };
  const worker = async () => {
    while (running) {
      try {
        const response = await fetch(`${topology.gatewayUrl}/v1/items/${item.body.id}`);
        await response.arrayBuffer();
        if (response.status === 200) outcomes.ok++;
        else {
          outcomes.failed++;
          outcomes.errors.set(String(response.status), (outcomes.errors.get(String(response.status)) ?? 0) + 1);
        }
      } catch (error) {
        outcomes.failed++;
        const key = (error as Error).message;
        outcomes.errors.set(key, (outcomes.errors.get(key) ?? 0) + 1);
      }
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, worker);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const before = outcomes.ok;
  assert.ok(before > 0, 'traffic flows');

  const killedAt = Date.now();
  for (const name of ['gateway-1', 'inventory-1'])
    topology.processes.find((p) => p.name === name)!.child.kill('SIGKILL');
  const alert = await eventually(
    'ShareloopInstanceDown firing for both killed processes',
    async () => {
      const firing = (await prometheus.alerts()).filter(
        (a) => a.labels.alertname === 'ShareloopInstanceDown' && a.state === 'firing',
      );
      const names = new Set(firing.map((a) => a.labels.process));
      return names.has('gateway-1') && names.has('inventory-1') ? firing : undefined;
    },
    (FOR_SECONDS + 10) * 1000,
  );
  const firedAfterSeconds = (Date.now() - killedAt) / 1000;
  assert.ok(alert.length >= 2);
  // The alert fires once `for` has passed after the failed scrape: for + a scrape + an evaluation (1 s each here), with slack for this shared machine.
  assert.ok(firedAfterSeconds <= FOR_SECONDS + 6, `fired after ${firedAfterSeconds.toFixed(1)} s`);

  await topology.restart('gateway-1');
  await topology.restart('inventory-1');
  await eventually('restarted processes scraped as up', async () => {
    const up = await prometheus.query('min(up)');
    return up[0]?.value[1] === '1' ? true : undefined;
  });
  const afterRestart = outcomes.ok;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  running = false;
  await Promise.all(workers);

  const total = outcomes.ok + outcomes.failed;
  console.log(
    `[split-failover] ${total} requests, ${outcomes.failed} failed ${JSON.stringify([...outcomes.errors])}; alert fired ${firedAfterSeconds.toFixed(1)} s after the kills`,
  );
  assert.ok(outcomes.ok > afterRestart, 'traffic flows after the restarts');
  // At most the requests in flight on the two killed processes may fail.
  assert.ok(
    outcomes.failed <= 2 * CONCURRENCY,
    `${outcomes.failed} failed of ${total}: ${JSON.stringify([...outcomes.errors])}`,
  );
  const haproxyUp = await fetch(`${topology.gatewayUrl}/readyz`);
  assert.equal(haproxyUp.status, 200);
});
