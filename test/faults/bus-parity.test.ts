/**
 * Bus parity per contract: the same sequence of bus calls through the in-process bus and
 * through the HTTP transport (a Bus in this process that hosts nothing, finds the identity and
 * inventory services in the Redis registry, and calls them with its resilience policy) gives
 * the same outputs and the same typed errors: code, kind, detail and field errors survive
 * AppError.toJSON on the service and AppError.fromJSON in the caller.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { inventory } from '../../src/modules/inventory/contract.ts';
import { allContracts } from '../../src/runtimes/contracts.ts';
import { identityModule } from '../../src/modules/identity/module.ts';
import { inventoryModule } from '../../src/modules/inventory/module.ts';
import { rentalsModule } from '../../src/modules/rentals/module.ts';
import type { Bus } from '../../src/shared/bus/bus.ts';
import { systemContext } from '../../src/shared/bus/context.ts';
import { AppError } from '../../src/shared/bus/errors.ts';
import { routeRemoteModules } from '../../src/shared/bus/remote-routing.ts';
import { serviceCredentials } from '../../src/shared/bus/service-credentials.ts';
import { parseConfig } from '../../src/shared/config/config.ts';
import { hostModules, type Host } from '../../src/shared/modules/platform.ts';
import { createLogger } from '../../src/shared/observability/logger.ts';
import { startTestHost, type TestHost } from '../support/test-host.ts';
import { startTogether } from '../support/start-together.ts';
import { INTERNAL_SECRET, faultEnv, internalCall, internalCallsServed, startServices } from './fault-support.ts';
import { identityScript, inventoryScript, normalize, type Outcome, type ParityFixture } from './parity-scripts.ts';

describe('bus parity: in-process handlers and the HTTP transport give the same results and typed errors', () => {
  let services: Awaited<ReturnType<typeof startServices>>;
  let local: TestHost;
  let remote: Host;
  const fixture: ParityFixture = {
    email: `parity-${randomUUID().slice(0, 8)}@example.test`,
    adminEmail: `parity-admin-${randomUUID().slice(0, 8)}@example.test`,
    missingId: randomUUID(),
    owner: randomUUID(),
    other: randomUUID(),
    admin: randomUUID(),
  };

  before(async () => {
    const env = await faultEnv();
    [services, local] = await startTogether([
      startServices(env, [
        { name: 'identity', modules: 'identity' },
        { name: 'inventory', modules: 'inventory' },
        // identity asks rentals before deleting an account (does the user have an item out on rent?).
        { name: 'rentals', modules: 'rentals' },
      ]),
      startTestHost([identityModule, inventoryModule, rentalsModule]),
    ]);
    // A caller process like the gateway: hosts nothing, finds the services in the same Redis
    // registry, and reaches them through the HTTP transport and its resilience policy.
    const config = parseConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      REDIS_URL: env.REDIS_URL!,
      REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX!,
      INTERNAL_SERVICE_SECRET: INTERNAL_SECRET,
    });
    const log = createLogger({ level: 'silent', pretty: false, name: 'parity' });
    const credentials = serviceCredentials({ secret: INTERNAL_SECRET, service: 'parity' });
    remote = await hostModules({
      config,
      log,
      service: 'parity',
      modules: [],
      connect: (platform) => routeRemoteModules({ platform, credentials, contracts: allContracts }),
    });
  });
  after(async () => {
    await remote?.stop();
    await local?.stop();
    await services?.stop();
  });

  async function compare(name: string, script: (bus: Bus, f: ParityFixture) => Promise<Outcome[]>) {
    const bus = remote.platform.bus;
    for (const contract of allContracts)
      for (const op of Object.values(contract.ops))
        assert.equal(bus.hosts(op.name), false, `${op.name} must cross the wire`);
    const serviceUrl = services.process(name).url;
    const hopsBefore = await internalCallsServed(serviceUrl);
    const inProcess = await script(local.platform.bus, fixture);
    const overHttp = await script(bus, fixture);
    const hops = (await internalCallsServed(serviceUrl)) - hopsBefore;

    // Both runs did what the contract says, step by step...
    for (const outcomes of [inProcess, overHttp]) {
      assert.deepEqual(
        outcomes.map((o) => `${o.step}: ${o.error ? o.error.code : 'ok'}`),
        outcomes.map((o) => `${o.step}: ${o.expected}`),
      );
      for (const o of outcomes)
        if (o.error) assert.ok(o.error.isAppError && o.error.name === 'AppError', `${o.step}: not an AppError`);
    }
    // ...with the same outputs and the same typed errors (code, kind, detail, field errors).
    assert.deepEqual(normalize(overHttp), normalize(inProcess));
    // And every step really crossed the wire to the service.
    assert.ok(
      hops >= overHttp.length,
      `${name}: only ${hops} calls reached the ${name} service for ${overHttp.length} steps`,
    );
    console.log(
      `[faults] parity ${name}: ${overHttp.length} steps, ${overHttp.filter((o) => o.error).length} typed errors, ${hops} hops`,
    );
  }

  test('identity', () => compare('identity', identityScript));
  test('inventory', () => compare('inventory', inventoryScript));

  test('field errors raised behind the wire round-trip through AppError.toJSON/fromJSON', async () => {
    const invalid = {
      title: '',
      category: 'Not A Slug',
      dailyPrice: { amount: -1, currency: 'eur' },
      deposit: { amount: 1, currency: 'EUR' },
      condition: 'mint',
    };
    const ctx = systemContext({ caller: { userId: fixture.owner, role: 'member' } });
    const inProcess = await local.platform.bus.call(inventory.ops.createItem, invalid as never, ctx).then(
      () => assert.fail('the in-process call must fail'),
      (error: unknown) => error,
    );
    assert.ok(inProcess instanceof AppError);
    // The caller's Bus validates before sending, so post the same input raw to the service.
    const token = await serviceCredentials({ secret: INTERNAL_SECRET, service: 'parity' }).token();
    const reply = await internalCall(
      services.process('inventory').url,
      'inventory.createItem',
      { input: invalid, contractVersion: inventory.version, caller: ctx.caller },
      `Bearer ${token}`,
    );
    assert.equal(reply.status, 400);
    const overHttp = AppError.fromJSON(reply.body.error);
    assert.ok(overHttp instanceof AppError);
    assert.deepEqual(overHttp.toJSON(), inProcess.toJSON());
    assert.equal(overHttp.code, 'validationFailed');
    assert.deepEqual(overHttp.errors!.map((e) => e.path).sort(), [
      'category',
      'condition',
      'dailyPrice.amount',
      'dailyPrice.currency',
      'title',
    ]);
  });
});
