/**
 * Bus parity for the rentals contract: the same script of calls through the in-process bus
 * and through the HTTP transport (a Bus here that hosts nothing and reaches the inventory,
 * payments and rentals services found in the Redis registry) gives the same outputs and the
 * same typed errors, including a saga that is compensated and a two-phase settlement whose
 * participant (payments) is reached over the wire.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { inventory } from '../../src/modules/inventory/contract.ts';
import { inventoryModule } from '../../src/modules/inventory/module.ts';
import { payments } from '../../src/modules/payments/contract.ts';
import { paymentsModule } from '../../src/modules/payments/module.ts';
import { rentals } from '../../src/modules/rentals/contract.ts';
import { rentalsModule } from '../../src/modules/rentals/module.ts';
import { allContracts } from '../../src/runtimes/contracts.ts';
import type { Bus } from '../../src/shared/bus/bus.ts';
import type { Op } from '../../src/shared/bus/contract.ts';
import { systemContext } from '../../src/shared/bus/context.ts';
import { AppError } from '../../src/shared/bus/errors.ts';
import { routeRemoteModules } from '../../src/shared/bus/remote-routing.ts';
import { serviceCredentials } from '../../src/shared/bus/service-credentials.ts';
import { parseConfig } from '../../src/shared/config/config.ts';
import { hostModules, type Host } from '../../src/shared/modules/platform.ts';
import { createLogger } from '../../src/shared/observability/logger.ts';
import { INTERNAL_SECRET, faultEnv, internalCallsServed, startServices } from '../faults/fault-support.ts';
import { normalize, type Outcome } from '../faults/parity-scripts.ts';
import { startTestHost, type TestHost } from '../support/test-host.ts';
import { startTogether } from '../support/start-together.ts';

const DAY = 86_400_000;
const start = Math.floor(Date.now() / DAY) * DAY + 2 * DAY;
const f = {
  owner: randomUUID(),
  renter: randomUUID(),
  poor: randomUUID(),
  other: randomUUID(),
  stranger: randomUUID(),
  from: new Date(start).toISOString(),
  to: new Date(start + 3 * DAY).toISOString(),
  /** A period that has started (today, as a whole day): handed over at once. */
  today: new Date(start - 2 * DAY).toISOString().slice(0, 10),
};

/** The script: every outcome recorded with the error code the contract promises. */
async function rentalsScript(bus: Bus): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const call = async (
    step: string,
    op: Op,
    input: unknown,
    userId: string | undefined,
    expected: string,
  ): Promise<any> => {
    try {
      const output = await bus.call(
        op,
        input as never,
        systemContext(userId ? { caller: { userId, role: 'member' }, timeoutMs: 15_000 } : { timeoutMs: 15_000 }),
      );
      outcomes.push({ step, expected, output });
      return output;
    } catch (error) {
      const e = error as AppError;
      outcomes.push({
        step,
        expected,
        error: {
          isAppError: error instanceof AppError,
          name: e.name,
          code: e.code,
          kind: e.kind,
          detail: e.detail,
          ...(e.errors ? { errors: e.errors } : {}),
        },
      });
      return undefined;
    }
  };
  const item = await call(
    'list an item',
    inventory.ops.createItem,
    {
      title: 'Kayak',
      category: 'water-sports',
      dailyPrice: { amount: 1_000, currency: 'EUR' },
      deposit: { amount: 5_000, currency: 'EUR' },
      condition: 'good',
    },
    f.owner,
    'ok',
  );
  await call('fund the renter', payments.ops.topUpWallet, { amount: 20_000, currency: 'EUR' }, f.renter, 'ok');
  await call('fund another renter', payments.ops.topUpWallet, { amount: 20_000, currency: 'EUR' }, f.other, 'ok');
  const period = { from: f.from, to: f.to };
  await call(
    'rent without a caller',
    rentals.ops.createRental,
    { itemId: item.id, ...period },
    undefined,
    'unauthorized',
  );
  await call('rent my own item', rentals.ops.createRental, { itemId: item.id, ...period }, f.owner, 'rentals.ownItem');
  await call(
    'rent backwards',
    rentals.ops.createRental,
    { itemId: item.id, from: f.to, to: f.from },
    f.renter,
    'rentals.invalidPeriod',
  );
  await call(
    'rent a missing item',
    rentals.ops.createRental,
    { itemId: '00000000-0000-4000-8000-000000000000', ...period },
    f.renter,
    'rentals.itemNotFound',
  );
  await call(
    'rent without the money (compensated)',
    rentals.ops.createRental,
    { itemId: item.id, ...period },
    f.poor,
    'rentals.insufficientFunds',
  );
  const rental = await call('rent', rentals.ops.createRental, { itemId: item.id, ...period }, f.renter, 'ok');
  await call(
    'rent an overlapping period',
    rentals.ops.createRental,
    { itemId: item.id, ...period },
    f.other,
    'rentals.periodTaken',
  );
  await call('read it as a stranger', rentals.ops.getRental, { id: rental.id }, f.stranger, 'rentals.rentalNotFound');
  await call('read it as the renter', rentals.ops.getRental, { id: rental.id }, f.renter, 'ok');
  await call('list mine', rentals.ops.listRentals, { role: 'renter' }, f.renter, 'ok');
  await call(
    'return it before the handover',
    rentals.ops.returnRental,
    { id: rental.id },
    f.owner,
    'rentals.notHandedOver',
  );
  await call(
    'hand it over before the start',
    rentals.ops.handOverRental,
    { id: rental.id },
    f.owner,
    'rentals.handoverTooEarly',
  );
  const started = await call(
    'rent today (another renter)',
    rentals.ops.createRental,
    { itemId: item.id, from: f.today, to: f.today },
    f.other,
    'ok',
  );
  await call('hand over a started rental', rentals.ops.handOverRental, { id: started.id }, f.owner, 'ok');
  await call(
    'return it as the renter',
    rentals.ops.returnRental,
    { id: started.id },
    f.other,
    'rentals.notParticipant',
  );
  await call('return it as the owner (two-phase)', rentals.ops.returnRental, { id: started.id }, f.owner, 'ok');
  await call(
    'cancel a completed rental',
    rentals.ops.cancelRental,
    { id: started.id },
    f.other,
    'rentals.notCancellable',
  );
  await call('cancel before the handover', rentals.ops.cancelRental, { id: rental.id }, f.renter, 'ok');
  await call("the owner's wallet", payments.ops.getWallet, {}, f.owner, 'ok');
  await call(
    'a foreign GID',
    rentals.ops.twoPhaseDecision,
    { gid: 'sl:other:payments:00000000-0000-4000-8000-000000000000' },
    undefined,
    'validationFailed',
  );
  return outcomes;
}

let services: Awaited<ReturnType<typeof startServices>>;
let local: TestHost;
let remote: Host;

before(async () => {
  const env = await faultEnv({ RENTALS_RECOVERY_INTERVAL_MS: '1000' });
  [services, local] = await startTogether([
    startServices(env, [
      { name: 'inventory', modules: 'inventory' },
      { name: 'payments', modules: 'payments' },
      { name: 'rentals', modules: 'rentals' },
    ]),
    startTestHost([inventoryModule, paymentsModule, rentalsModule]),
  ]);
  const config = parseConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    REDIS_URL: env.REDIS_URL!,
    REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX!,
    INTERNAL_SERVICE_SECRET: INTERNAL_SECRET,
  });
  const credentials = serviceCredentials({ secret: INTERNAL_SECRET, service: 'rentals-parity' });
  remote = await hostModules({
    config,
    log: createLogger({ level: 'silent', pretty: false, name: 'rentals-parity' }),
    service: 'rentals-parity',
    modules: [],
    connect: (platform) => routeRemoteModules({ platform, credentials, contracts: allContracts }),
  });
});
after(async () => {
  await remote?.stop();
  await local?.stop();
  await services?.stop();
});

test('rentals: in-process and over HTTP give the same outputs and typed errors', async () => {
  const bus = remote.platform.bus;
  for (const op of Object.values(rentals.ops))
    assert.equal(bus.hosts(op.name), false, `${op.name} must cross the wire`);
  const rentalsUrl = services.process('rentals').url;
  const hopsBefore = await internalCallsServed(rentalsUrl);
  const inProcess = await rentalsScript(local.platform.bus);
  const overHttp = await rentalsScript(bus);
  const hops = (await internalCallsServed(rentalsUrl)) - hopsBefore;
  for (const outcomes of [inProcess, overHttp]) {
    assert.deepEqual(
      outcomes.map((o) => `${o.step}: ${o.error ? o.error.code : 'ok'}`),
      outcomes.map((o) => `${o.step}: ${o.expected}`),
    );
  }
  assert.deepEqual(normalize(overHttp), normalize(inProcess));
  const rentalsCalls = 14; // every step but listing, funding and the wallet
  assert.ok(hops >= rentalsCalls, `only ${hops} calls reached the rentals service for ${rentalsCalls} rentals steps`);
});
