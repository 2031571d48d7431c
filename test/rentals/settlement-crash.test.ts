/**
 * Two-phase settlement under real process kills, with rentals and payments in separate
 * processes and on separate databases (RENTALS_DATABASE_URL / PAYMENTS_DATABASE_URL):
 *   (a) the coordinator (rentals) dies after every participant prepared, before deciding;
 *   (b) the coordinator dies right after logging its commit decision;
 *   (c) the payments participant dies right after PREPARE, before answering.
 * After the dead process restarts (its recovery, and payments' orphan resolution, run as
 * scheduled), both databases must agree and pg_prepared_xacts must be empty.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inventory } from '../../src/modules/inventory/contract.ts';
import { payments } from '../../src/modules/payments/contract.ts';
import { rentals } from '../../src/modules/rentals/contract.ts';
import { allContracts } from '../../src/runtimes/contracts.ts';
import type { Bus } from '../../src/shared/bus/bus.ts';
import { AppError } from '../../src/shared/bus/errors.ts';
import { routeRemoteModules } from '../../src/shared/bus/remote-routing.ts';
import { serviceCredentials } from '../../src/shared/bus/service-credentials.ts';
import { parseConfig } from '../../src/shared/config/config.ts';
import { hostModules, type Host } from '../../src/shared/modules/platform.ts';
import { createLogger } from '../../src/shared/observability/logger.ts';
import { testDeploymentEnv, testServers } from '../support/env.ts';
import { freePort } from '../support/services.ts';
import { stopAll, waitForReady } from '../support/topology.ts';
import {
  as,
  connect,
  createWorldDatabases,
  eventually,
  newUser,
  periodOf,
  type Connections,
  type Databases,
} from './support/world.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

let dbs: Databases;
let sql: Connections;
let env: Record<string, string>;
let client: Host;
let bus: Bus;
const children = new Set<ChildProcess>();

/** Starts a service process (src/runtimes/service.ts, or a test script) and waits until it is ready. */
async function startService(
  name: string,
  modules: string,
  extra: Record<string, string> = {},
  script = 'src/runtimes/service.ts',
) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      ...extra,
      SERVICE_NAME: name,
      MODULES: modules,
      PORT: String(port),
      HOST: '127.0.0.1',
      ADVERTISE_URL: url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  const exited = new Promise<{ signal: NodeJS.Signals | null; output: () => string }>((resolve) =>
    child.once('exit', (_code, signal) => resolve({ signal, output: () => output })),
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  await waitForReady(`${url}/readyz`, 90_000, child);
  return { child, exited, output: () => output };
}

before(async () => {
  dbs = await createWorldDatabases();
  sql = connect(dbs);
  env = {
    ...testDeploymentEnv(),
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    REDIS_URL: testServers().redisUrl,
    DATABASE_URL: dbs.mainUrl,
    RENTALS_DATABASE_URL: dbs.rentalsUrl,
    PAYMENTS_DATABASE_URL: dbs.paymentsUrl,
    HEALTH_INTERVAL_MS: '300',
    HEALTH_TIMEOUT_MS: '300',
    DISCOVERY_TTL_MS: '1500',
    BREAKER_HALF_OPEN_MS: '300',
    RENTALS_RECOVERY_INTERVAL_MS: '250',
    RENTALS_TWO_PHASE_STALE_MS: '1500',
    RENTALS_TWO_PHASE_RECOVERY_MS: '500',
    RENTALS_ORPHAN_CHECK_MS: '1000',
    PAYMENTS_ORPHAN_CHECK_MS: '500',
    PAYMENTS_ORPHAN_AGE_MS: '2000',
  };
  // This process is a client of the services: a bus that routes every module to them.
  const config = parseConfig({ ...env, LOG_LEVEL: 'silent' });
  const credentials = serviceCredentials({ secret: config.INTERNAL_SERVICE_SECRET, service: 'settlement-test' });
  client = await hostModules({
    config,
    log: createLogger({ level: 'silent', pretty: false, name: 'client' }),
    service: 'settlement-test',
    modules: [],
    connect: (platform) => routeRemoteModules({ platform, credentials, contracts: allContracts }),
  });
  bus = client.platform.bus;
});

after(async () => {
  await stopAll([...children]);
  await client?.stop();
  await sql?.close();
});

/** Retries a call while the target's instances are being discovered or restarted. */
async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  return eventually(
    what,
    async () => {
      try {
        return await fn();
      } catch (error) {
        if (error instanceof AppError && ['unavailable', 'timeout'].includes(error.kind)) return undefined;
        throw error;
      }
    },
    30_000,
  );
}

/** An active rental of a fresh item (10.00/day for 2 days, 50.00 deposit) by a funded renter. */
async function activeRental() {
  const owner = newUser();
  const renter = newUser();
  const item = await call('createItem', () =>
    bus.call(
      inventory.ops.createItem,
      {
        title: 'Tent',
        category: 'camping',
        dailyPrice: { amount: 1_000, currency: 'EUR' },
        deposit: { amount: 5_000, currency: 'EUR' },
        condition: 'good',
      },
      as(owner),
    ),
  );
  await call('topUp', () => bus.call(payments.ops.topUpWallet, { amount: 20_000, currency: 'EUR' }, as(renter)));
  const rental = await call('createRental', () =>
    bus.call(rentals.ops.createRental, { itemId: item.id, ...periodOf(2) }, as(renter)),
  );
  assert.equal(rental.status, 'active');
  return { owner, renter, rental };
}

/** Where a rental's settlement stands in each database, and what is left prepared. */
async function stateOf(rentalId: string, authorizationId: string) {
  const [rental] = await sql.rentals<{ status: string }[]>`select status from rentals.rentals where id = ${rentalId}`;
  const [auth] = await sql.payments<
    { status: string }[]
  >`select status from payments.authorizations where id = ${authorizationId}`;
  const prepared = [
    ...(await sql.rentals<{ gid: string }[]>`select gid from pg_prepared_xacts where database = current_database()`),
    ...(await sql.payments<{ gid: string }[]>`select gid from pg_prepared_xacts where database = current_database()`),
  ].map((p) => p.gid);
  return { rental: rental?.status, payment: auth?.status, prepared };
}

async function ledgerBalances(): Promise<void> {
  const [sum] = await sql.payments<
    { total: string }[]
  >`select coalesce(sum(amount), 0)::text as total from payments.ledger_entries`;
  assert.equal(sum?.total, '0', 'the ledger sums to zero');
}

const agreed = (expected: { rental: string; payment: string }) => (s: Awaited<ReturnType<typeof stateOf>>) =>
  s.rental === expected.rental && s.payment === expected.payment && s.prepared.length === 0 ? s : undefined;

test('two-phase settlement survives coordinator and participant crashes (separate processes and databases)', async () => {
  const started = Date.now();
  let paymentsService = await startService('payments', 'payments');

  // (a) The coordinator dies after both prepares, before any decision: presumed abort.
  let rentalsService = await startService('rentals', 'inventory,rentals', {
    RENTALS_CRASH_AT: 'settle:after-prepares',
  });
  const a = await activeRental();
  await assert.rejects(
    bus.call(rentals.ops.returnRental, { id: a.rental.id }, as(a.owner)),
    'the return dies with the coordinator',
  );
  const deadA = await rentalsService.exited;
  assert.equal(deadA.signal, 'SIGKILL', deadA.output());
  assert.match(deadA.output(), /"crashing":"settle:after-prepares"/);
  const inDoubtA = await stateOf(a.rental.id, a.rental.authorizationId!);
  assert.deepEqual(
    [inDoubtA.rental, inDoubtA.payment, inDoubtA.prepared.length],
    ['active', 'authorized', 2],
    'both shares are prepared, nothing is visible',
  );
  const [logA] = await sql.rentals<{ state: string }[]>`select state from rentals.two_phase_log`;
  assert.equal(logA?.state, 'preparing');

  // (b) Restarted (its recovery aborts (a)); this time it dies right after logging the commit decision.
  const restartA = Date.now();
  rentalsService = await startService('rentals', 'inventory,rentals', { RENTALS_CRASH_AT: 'settle:after-decision' });
  await eventually('(a) to be rolled back everywhere', async () =>
    agreed({ rental: 'active', payment: 'authorized' })(await stateOf(a.rental.id, a.rental.authorizationId!)),
  );
  const recoveredA = Date.now() - restartA;
  const b = await activeRental();
  await assert.rejects(bus.call(rentals.ops.returnRental, { id: b.rental.id }, as(b.owner)));
  const deadB = await rentalsService.exited;
  assert.equal(deadB.signal, 'SIGKILL', deadB.output());
  assert.match(deadB.output(), /"crashing":"settle:after-decision"/);
  const inDoubtB = await stateOf(b.rental.id, b.rental.authorizationId!);
  assert.deepEqual([inDoubtB.rental, inDoubtB.payment, inDoubtB.prepared.length], ['active', 'authorized', 2]);
  const logB = await sql.rentals<{ state: string }[]>`select state from rentals.two_phase_log where state <> 'done'`;
  assert.deepEqual(
    logB.map((l) => l.state),
    ['committing'],
    'the decision was logged before the crash',
  );

  // Restarted for good: recovery commits (b) in both databases.
  const restartB = Date.now();
  rentalsService = await startService('rentals', 'inventory,rentals');
  await eventually('(b) to be committed everywhere', async () =>
    agreed({ rental: 'completed', payment: 'captured' })(await stateOf(b.rental.id, b.rental.authorizationId!)),
  );
  const recoveredB = Date.now() - restartB;
  const ownerB = await call('getWallet', () => bus.call(payments.ops.getWallet, {}, as(b.owner)));
  assert.equal(ownerB.balances[0]?.balance, 2_000, 'the owner of (b) got the fee');
  await eventually('the item of (b) to be available again', async () => {
    const item = await bus.call(inventory.ops.getItem, { id: b.rental.itemId }, as(b.owner));
    return item.status === 'listed' ? true : undefined;
  });
  // The interrupted return of (a) shows as abandoned, and (a) can now be returned normally: nothing was left locked.
  const settleA = await eventually('the settle step of (a) to show the abandoned attempt', async () => {
    const details = await call('getRental', () => bus.call(rentals.ops.getRental, { id: a.rental.id }, as(a.owner)));
    const step = details.steps.find((s) => s.name === 'settle');
    return step?.status === 'failed' ? step : undefined;
  });
  assert.equal(settleA.error?.code, 'rentals.settlementAbandoned');
  assert.equal(
    (await call('return (a)', () => bus.call(rentals.ops.returnRental, { id: a.rental.id }, as(a.owner)))).status,
    'completed',
  );

  // (c) The payments participant dies right after PREPARE, before answering: the coordinator aborts,
  // and once payments is back its prepared share is rolled back (orphan resolution asks rentals).
  await stopAll([paymentsService.child]);
  paymentsService = await startService('payments', 'payments', {}, 'test/rentals/support/crashing-payments-service.ts');
  const c = await activeRental();
  const refused = await bus.call(rentals.ops.returnRental, { id: c.rental.id }, as(c.owner)).then(
    () => assert.fail('the return should fail with its participant'),
    (error: unknown) => error,
  );
  assert.ok(
    refused instanceof AppError && refused.code === 'rentals.settlementFailed',
    `the coordinator aborted: ${String(refused)}`,
  );
  const deadC = await paymentsService.exited;
  assert.equal(deadC.signal, 'SIGKILL', deadC.output());
  assert.match(deadC.output(), /"crashing":"payments:after-prepare"/);
  const inDoubtC = await stateOf(c.rental.id, c.rental.authorizationId!);
  assert.deepEqual(
    [inDoubtC.rental, inDoubtC.payment, inDoubtC.prepared],
    ['active', 'authorized', inDoubtC.prepared.filter((g) => g.includes(':payments:'))],
  );
  assert.equal(inDoubtC.prepared.length, 1, 'only the dead participant still holds its prepared share');
  const restartC = Date.now();
  paymentsService = await startService('payments', 'payments');
  await eventually('(c) to be rolled back everywhere', async () =>
    agreed({ rental: 'active', payment: 'authorized' })(await stateOf(c.rental.id, c.rental.authorizationId!)),
  );
  const recoveredC = Date.now() - restartC;
  await eventually('the coordinator log to be finished', async () => {
    const open = await sql.rentals`select id from rentals.two_phase_log where state <> 'done'`;
    return open.length === 0 ? true : undefined;
  });
  assert.equal(
    (await call('return (c)', () => bus.call(rentals.ops.returnRental, { id: c.rental.id }, as(c.owner)))).status,
    'completed',
  );

  const outcomes = await sql.rentals<
    { outcome: string }[]
  >`select outcome from rentals.two_phase_log order by created_at`;
  assert.deepEqual(
    outcomes.map((o) => o.outcome),
    ['abort', 'commit', 'commit', 'abort', 'commit'],
  );
  await ledgerBalances();
  for (const r of [a, b, c])
    assert.deepEqual(await stateOf(r.rental.id, r.rental.authorizationId!), {
      rental: 'completed',
      payment: 'captured',
      prepared: [],
    });
  console.log(
    `# 2PC crash recovery after restart: (a) ${recoveredA} ms, (b) ${recoveredB} ms, (c) ${recoveredC} ms; total ${Date.now() - started} ms`,
  );
});
