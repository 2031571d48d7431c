import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { platformErrors } from '../../shared/bus/errors.ts';
import { parseConfig } from '../../shared/config/config.ts';
import { createApp, type App } from '../../shared/http/app.ts';
import { hostModules, type Host } from '../../shared/modules/platform.ts';
import { createLogger } from '../../shared/observability/logger.ts';
import { notificationsModule } from './module.ts';
import { mountNotificationStream } from './routes.ts';
import { notificationOf, readEventStream } from './testing/event-stream.ts';

// The zero-setup monolith: embedded PGlite and no Redis, so the live feed stays in the process.
let host: Host;
let app: App;

before(async () => {
  const config = parseConfig({ DATA_DIR: 'memory://', LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  const log = createLogger({ level: 'silent', pretty: false, name: 'test' });
  host = await hostModules({ config, log, service: 'test', modules: [notificationsModule], events: 'in-process' });
  app = createApp({
    name: 'test',
    log,
    metrics: host.platform.metrics,
    bodyLimitBytes: 1024,
    corsOrigins: [],
    readiness: async () => ({}),
  });
  // Tokens are user ids here: this test is about the feed, not about identity.
  const authenticate = async (token: string) => {
    if (!/^[0-9a-f-]{36}$/.test(token)) throw platformErrors.unauthorized();
    return { userId: token, role: 'member' };
  };
  mountNotificationStream(app, { authenticate, timeoutMs: 5_000, redis: undefined, log });
});

after(async () => {
  await host?.stop();
});

function registered(userId: string) {
  const messageId = randomUUID();
  return {
    envelope: {
      messageId,
      event: 'identity.userRegistered',
      version: 1,
      aggregateId: userId,
      correlationId: messageId,
      causationId: messageId,
      occurredAt: new Date().toISOString(),
    },
    payload: { userId, displayName: 'Solo' },
  };
}

test('without Redis, a committed notification reaches its user’s stream in the same process, and no one else’s', async () => {
  const alice = randomUUID();
  const bob = randomUUID();
  const stream = readEventStream(
    await app.request('/v1/notifications/stream', { headers: { authorization: `Bearer ${alice}` } }),
  );
  try {
    await stream.next((e) => e.event === 'ready');
    assert.equal(await host.platform.events.replay('notifications.welcomeUser', registered(bob)), 'applied');
    assert.equal(await host.platform.events.replay('notifications.welcomeUser', registered(alice)), 'applied');
    const pushed = notificationOf(await stream.next((e) => e.event === 'notification'));
    assert.equal(pushed.userId, alice);
    assert.equal(pushed.kind, 'welcome');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(stream.seen.filter((e) => e.event === 'notification').length, 1);
  } finally {
    await stream.cancel();
  }
});
