import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import postgres from 'postgres';
import { allModules } from '../../src/runtimes/modules.ts';
import { createApp } from '../../src/shared/http/app.ts';
import { createMetrics } from '../../src/shared/observability/metrics.ts';
import { eventually } from '../rentals/support/world.ts';
import { startRedis } from '../support/services.ts';
import { startTestHost, type TestHost } from '../support/test-host.ts';

/** The value of one series in a /metrics text, or undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('metrics of a monolith host', () => {
  let host: TestHost;
  const scrape = async () => (await host.app.request('/metrics')).text();

  before(async () => {
    host = await startTestHost(allModules, { OUTBOX_POLL_MS: '60000' });
  });
  after(async () => {
    await host.stop();
  });

  test('bus calls are timed by op, transport and outcome', async () => {
    const email = `m-${randomUUID().slice(0, 8)}@example.test`;
    const created = await host.app.request('/v1/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'correct horse battery', displayName: 'Metrics' }),
    });
    assert.equal(created.status, 201);
    const again = await host.app.request('/v1/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'correct horse battery', displayName: 'Metrics' }),
    });
    assert.equal(again.status, 409);
    const text = await scrape();
    assert.ok(
      (sample(text, 'bus_call_duration_seconds_count', {
        op: 'identity.register',
        transport: 'local',
        outcome: 'ok',
      }) ?? 0) >= 1,
      'ok call observed',
    );
    assert.ok(
      (sample(text, 'bus_call_duration_seconds_count', {
        op: 'identity.register',
        transport: 'local',
        outcome: 'conflict',
      }) ?? 0) >= 1,
      'refused call observed',
    );
  });

  test('the pool, outbox, dead letters and consumers have gauges, and lag is 0 when caught up, also while idle', async () => {
    await host.platform.events.drain();
    const caughtUp = await eventually('caught up', async () => {
      const text = await scrape();
      return sample(text, 'event_consumer_pending_age_seconds', { consumer: 'catalog.projectItemCreated' }) === 0
        ? text
        : undefined;
    });
    assert.equal(sample(caughtUp, 'db_pool_connections', { state: 'max' }), 5);
    assert.ok((sample(caughtUp, 'db_pool_connections', { state: 'waiting' }) ?? -1) >= 0, 'queries waiting');
    assert.ok((sample(caughtUp, 'db_pool_connections', { state: 'in_use' }) ?? -1) >= 0, 'connections in use');
    assert.equal(sample(caughtUp, 'outbox_backlog', { module: 'identity' }), 0);
    assert.equal(sample(caughtUp, 'event_dead_letters', { consumer: 'notifications.welcomeUser' }), 0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const idle = await scrape();
    assert.equal(sample(idle, 'catalog_projection_lag_seconds'), 0, 'no lag while idle');
    assert.equal(sample(idle, 'outbox_oldest_unsent_age_seconds', { module: 'inventory' }), 0);
  });

  test('an event not yet delivered shows as outbox backlog and as catalog lag', async () => {
    const sql = postgres(host.databaseUrl, { max: 1, onnotice: () => {} });
    const messageId = randomUUID();
    try {
      // Committed 30 s ago without a NOTIFY: the relay (polling once a minute here) has not sent it yet.
      await sql`insert into inventory.outbox (message_id, event, aggregate_id, envelope, payload, created_at)
                values (${messageId}, 'inventory.itemCreated', ${randomUUID()}, '{}'::jsonb, '{}'::jsonb, now() - interval '30 seconds')`;
      const text = await eventually('backlog seen', async () => {
        const t = await scrape();
        return (sample(t, 'outbox_backlog', { module: 'inventory' }) ?? 0) >= 1 ? t : undefined;
      });
      assert.ok((sample(text, 'outbox_oldest_unsent_age_seconds', { module: 'inventory' }) ?? 0) >= 29);
      assert.ok(
        (sample(text, 'event_consumer_pending_age_seconds', { consumer: 'catalog.projectItemCreated' }) ?? 0) >= 29,
      );
      assert.ok(
        (sample(text, 'catalog_projection_lag_seconds') ?? 0) >= 29,
        'catalog lag follows the undelivered event',
      );
    } finally {
      await sql`delete from inventory.outbox where message_id = ${messageId}`;
      await sql.end();
    }
  });
});

describe('readiness', () => {
  test('/readyz answers within a second, not ready, while Redis does not answer', async () => {
    const redis = await startRedis();
    const host = await startTestHost(allModules.slice(0, 1), { REDIS_URL: redis.url });
    const admin = new Redis(redis.url);
    try {
      assert.equal((await host.app.request('/readyz')).status, 200);
      // Redis stops answering (commands wait) for 5 s: the case that took 5.5 s before.
      await admin.call('CLIENT', 'PAUSE', '5000', 'ALL');
      await new Promise((resolve) => setTimeout(resolve, 1100)); // past the cached answer
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const response = await host.app.request('/readyz');
        const ms = performance.now() - started;
        assert.equal(response.status, 503);
        assert.equal(((await response.json()) as { checks: Record<string, boolean> }).checks.redis, false);
        assert.ok(ms < 1000, `answered in ${Math.round(ms)} ms`);
      }
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => {});
      admin.disconnect();
      await host.stop();
      await redis.stop();
    }
  });
});

describe('access log', () => {
  test('a hop names its op, not the route template', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const app = createApp({
      name: 't',
      log: pino({ level: 'info' }, sink),
      metrics: createMetrics('t'),
      bodyLimitBytes: 1024,
      corsOrigins: [],
      readiness: async () => ({}),
    });
    app.post('/internal/bus/:op', (c) => c.json({ output: null }));
    assert.equal((await app.request('/internal/bus/inventory.getItem', { method: 'POST' })).status, 200);
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request');
    assert.equal(line?.route, '/internal/bus/inventory.getItem');
  });
});
