/**
 * Security findings of the split topology, with real service processes:
 *   - a service (and the gateway) refuses to start with the built-in development
 *     INTERNAL_SERVICE_SECRET unless SHARELOOP_DEV_SECRETS=1 says this is a developer machine;
 *   - a deterministic error the handler returns (even a 500) never ejects a healthy instance
 *     nor opens a breaker: only transport failures, timeouts and unavailability count.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { identity } from '../../src/modules/identity/contract.ts';
import { allContracts } from '../../src/runtimes/contracts.ts';
import { systemContext } from '../../src/shared/bus/context.ts';
import type { Op } from '../../src/shared/bus/contract.ts';
import { AppError } from '../../src/shared/bus/errors.ts';
import { routeRemoteModules } from '../../src/shared/bus/remote-routing.ts';
import { serviceCredentials } from '../../src/shared/bus/service-credentials.ts';
import { parseConfig } from '../../src/shared/config/config.ts';
import { hostModules, type Host } from '../../src/shared/modules/platform.ts';
import { createLogger } from '../../src/shared/observability/logger.ts';
import { spawnRuntime, stopAll, waitForReady } from '../../scripts/processes.ts';
import { startSplitTopology } from '../../scripts/split-topology.ts';
import { apiClient } from '../support/api-client.ts';
import { freePort } from '../support/services.ts';
import { INTERNAL_SECRET, faultEnv, internalCall, startServices } from './fault-support.ts';

/** Runs a runtime without INTERNAL_SERVICE_SECRET; resolves with its exit code and stderr, or 'ready'. */
async function bootWithoutSecret(
  entry: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string } | 'ready'> {
  const port = await freePort();
  const { INTERNAL_SERVICE_SECRET: _drop, ...rest } = env;
  const child = spawnRuntime(
    entry,
    { ...rest, PORT: String(port), HOST: '127.0.0.1' },
    { unset: ['INTERNAL_SERVICE_SECRET'], name: entry },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((done) =>
    child.once('exit', (code) => done({ code, stderr })),
  );
  const ready = waitForReady(`http://127.0.0.1:${port}/readyz`, 60_000, child).then(
    () => 'ready' as const,
    () => exited,
  );
  const outcome = await Promise.race<{ code: number | null; stderr: string } | 'ready'>([exited, ready]);
  await stopAll([child]);
  return outcome;
}

describe('the built-in development service secret', () => {
  test('a service and the gateway refuse to start with it, naming the variable and the development flag', async () => {
    const env = await faultEnv({ MODULES: 'identity', SERVICE_NAME: 'identity' });
    for (const entry of ['service.ts', 'gateway.ts']) {
      const outcome = await bootWithoutSecret(entry, env);
      assert.notEqual(outcome, 'ready', `${entry} started with the development secret`);
      if (outcome === 'ready') return;
      assert.equal(outcome.code, 78, outcome.stderr);
      assert.match(outcome.stderr, /INTERNAL_SERVICE_SECRET is not set/);
      assert.match(outcome.stderr, /SHARELOOP_DEV_SECRETS=1/);
    }
  });

  test('a split topology started without a secret (as `npm run split` does) makes a random one and works', async () => {
    const { INTERNAL_SERVICE_SECRET: _none, ...env } = await faultEnv();
    assert.equal(process.env.INTERNAL_SERVICE_SECRET, undefined, 'this test needs an environment without the secret');
    const split = await startSplitTopology({
      env,
      gatewayPort: await freePort(),
      layout: [{ name: 'identity', modules: 'identity' }],
    });
    try {
      const user = await apiClient(split.gatewayUrl).newUser('random-secret');
      assert.equal(typeof user.accessToken, 'string');
    } finally {
      await split.stop();
    }
  });

  test('SHARELOOP_DEV_SECRETS=1 allows it on a developer machine', async () => {
    const env = await faultEnv({ MODULES: 'identity', SERVICE_NAME: 'identity', SHARELOOP_DEV_SECRETS: '1' });
    assert.equal(await bootWithoutSecret('service.ts', env), 'ready');
  });
});

describe('a deterministic handler error does not eject a healthy instance', () => {
  let services: Awaited<ReturnType<typeof startServices>>;
  let caller: Host;

  before(async () => {
    const env = await faultEnv();
    services = await startServices(env, [{ name: 'identity', modules: 'identity' }]);
    // A gateway-like caller whose active health checks are too rare to bring back an ejected instance in time.
    const config = parseConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      REDIS_URL: env.REDIS_URL!,
      REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX!,
      INTERNAL_SERVICE_SECRET: INTERNAL_SECRET,
      HEALTH_INTERVAL_MS: '600000',
      BREAKER_THRESHOLD: '3',
    });
    const log = createLogger({ level: 'silent', pretty: false, name: 'handler-errors' });
    const credentials = serviceCredentials({ secret: INTERNAL_SECRET, service: 'handler-errors' });
    caller = await hostModules({
      config,
      log,
      service: 'handler-errors',
      modules: [],
      connect: (platform) => routeRemoteModules({ platform, credentials, contracts: allContracts }),
    });
  });
  after(async () => {
    await caller?.stop();
    await services?.stop();
  });

  const errorOf = (promise: Promise<unknown>) =>
    promise.then(
      () => assert.fail('the call must fail'),
      (error: unknown) => {
        assert.ok(error instanceof AppError, String(error));
        return error;
      },
    );

  test('ten 500s and ten 401s from identity in a row: identity keeps answering, neither ejected nor broken', async () => {
    const bus = caller.platform.bus;
    // A caller built against another contract version gets a typed 500 from the handler side, every time.
    const skewed = { ...identity.ops.validateToken, version: identity.ops.validateToken.version + 1 } as Op;
    for (let i = 0; i < 10; i++) {
      const error = await errorOf(bus.call(skewed, { token: 'x' } as never, systemContext()));
      assert.equal(error.code, 'contractVersionMismatch', `call ${i}: ${error.detail}`);
    }
    // Bad logins: typed 401s.
    for (let i = 0; i < 10; i++) {
      const error = await errorOf(
        bus.call(
          identity.ops.login,
          { email: `nobody-${i}@example.test`, password: 'not the password' },
          systemContext(),
        ),
      );
      assert.equal(error.code, 'identity.invalidCredentials', `login ${i}: ${error.detail}`);
    }
    // The instance still serves: the next call reaches the handler instead of failing with 503.
    const error = await errorOf(bus.call(identity.ops.validateToken, { token: 'not-a-token' }, systemContext()));
    assert.equal(error.code, 'identity.invalidToken', error.detail);
  });

  test('the internal bus endpoint refuses NUL and lone surrogates with 400 before the handler (any bearer case)', async () => {
    const token = await serviceCredentials({ secret: INTERNAL_SECRET, service: 'handler-errors' }).token();
    const url = services.process('identity').url;
    for (const email of ['ann\u0000@example.test', 'ann\ud800@example.test']) {
      const reply = await internalCall(
        url,
        'identity.login',
        { input: { email, password: 'whatever password' }, contractVersion: 1 },
        `bearer ${token}`,
      );
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.equal(reply.body.error.code, 'validationFailed');
    }
    const fine = await internalCall(
      url,
      'identity.login',
      { input: { email: 'ann@example.test', password: 'whatever password' }, contractVersion: 1 },
      `BEARER ${token}`,
    );
    assert.equal(fine.body.error.code, 'identity.invalidCredentials');
  });
});
