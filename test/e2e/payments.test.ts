import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { payments } from '../../src/modules/payments/contract.ts';
import { routeRemoteModules } from '../../src/shared/bus/remote-routing.ts';
import { serviceCredentials } from '../../src/shared/bus/service-credentials.ts';
import type { AnyContract, InputOf, Op } from '../../src/shared/bus/contract.ts';
import { systemContext } from '../../src/shared/bus/context.ts';
import { parseConfig } from '../../src/shared/config/config.ts';
import { statusOfKind } from '../../src/shared/http/problem.ts';
import { hostModules, type Host } from '../../src/shared/modules/platform.ts';
import { createLogger } from '../../src/shared/observability/logger.ts';
import { apiClient, type ApiResponse } from '../support/api-client.ts';
import { failsWith } from '../support/fails-with.ts';
import { documentedOperations } from '../support/openapi-operations.ts';
import { assertLeakFreeProblem } from '../support/problem-assertions.ts';
import { startTopology, topologies, type Topology, type TopologyName } from '../support/topology.ts';
import { startTogether } from '../support/start-together.ts';

/** Every payments route, spelled out so a route that disappears from the contract fails here. */
const PAYMENTS_ROUTES = [
  ['get', '/v1/wallet'],
  ['get', '/v1/wallet/transactions'],
  ['post', '/v1/wallet/top-ups'],
] as const;

/** Currencies the simulated provider settles in the main topology (CHF is valid ISO 4217 but not among them). */
const SETTLED = 'EUR,USD,GBP,JPY';

/** What must never appear in an error body: stack frames, file paths, SQL, driver names, table names. */
const LEAKS = [
  /\n\s+at /,
  /\bat .+:\d+:\d+/,
  /node_modules/,
  /\.ts:\d+/,
  /"stack"/i,
  /\bselect\b.+\bfrom\b/i,
  /\binsert into\b/i,
  /\bupdate\b.+\bset\b/i,
  /postgres/i,
  /drizzle/i,
  /payments"?\."?(accounts|ledger|operations|authorizations)/,
];

/** Asserts a response is an RFC 9457 problem with this status (and code), leaking nothing. */
const assertProblem = (response: ApiResponse, status: number, code?: string) =>
  assertLeakFreeProblem(response, status, code, LEAKS);

/** The field paths of a 400 validation problem. */
function fieldPaths(response: ApiResponse): string[] {
  assertProblem(response, 400, 'validationFailed');
  const errors = (response.body as { errors?: { path: string; message: string }[] }).errors;
  assert.ok(Array.isArray(errors) && errors.length > 0, 'a 400 must list its field errors');
  return [...new Set(errors.map((e) => e.path))].sort();
}

/**
 * A deployment whose payment provider fails every charge. Split, it runs only the services
 * these tests reach (identity, payments) behind the gateway: a second full split topology
 * would double this file's start-up.
 */
const startProviderDown = (name: TopologyName) =>
  startTopology(name, { PAYMENT_PROVIDER_FAILURE_RATE: '1' }, ['identity', 'payments']);

interface Member {
  id: string;
  accessToken: string;
}

for (const name of topologies) {
  describe(name, () => {
    let topology: Topology;
    let providerDown: Topology;
    let api: ReturnType<typeof apiClient>;

    /** Every request goes through here: error responses are checked for shape and leaks. */
    async function call(
      method: string,
      path: string,
      options: Parameters<ReturnType<typeof apiClient>['request']>[2] = {},
      client = api,
    ) {
      const response = await client.request(method, path, options);
      if (response.status >= 400) assertProblem(response, response.status);
      return response;
    }
    const topUp = (body: unknown, token?: string, headers?: Record<string, string>, client = api) =>
      call(
        'POST',
        '/v1/wallet/top-ups',
        { body, ...(token ? { token } : {}), ...(headers ? { headers } : {}) },
        client,
      );
    const wallet = async (member: Member, client = api) => {
      const response = await call('GET', '/v1/wallet', { token: member.accessToken }, client);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body as {
        userId: string;
        balances: { currency: string; balance: number; available: number; held: number }[];
      };
    };
    const history = async (member: Member, query = '', client = api) => {
      const response = await call('GET', `/v1/wallet/transactions${query}`, { token: member.accessToken }, client);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body as {
        transactions: {
          id: string;
          kind: string;
          currency: string;
          amount: number;
          entries: { account: string; amount: number }[];
          reference: string | null;
        }[];
        nextCursor: string | null;
      };
    };

    before(async () => {
      [topology, providerDown] = await startTogether([
        startTopology(name, { PAYMENT_PROVIDER_CURRENCIES: SETTLED }),
        startProviderDown(name),
      ]);
      api = apiClient(topology.baseUrl);
    });

    after(async () => {
      await Promise.all([topology?.stop(), providerDown?.stop()]);
    });

    describe('GET /v1/wallet', () => {
      test('401 without a token or with a bad one', async () => {
        assertProblem(await call('GET', '/v1/wallet'), 401, 'unauthorized');
        assertProblem(await call('GET', '/v1/wallet', { token: 'not-a-token' }), 401);
        assertProblem(await call('GET', '/v1/wallet/transactions'), 401, 'unauthorized');
      });

      test('a new member has an empty wallet and no history', async () => {
        const member = await api.newUser('payer');
        assert.deepEqual(await wallet(member), { userId: member.id, balances: [] });
        assert.deepEqual(await history(member), { transactions: [], nextCursor: null });
      });
    });

    describe('POST /v1/wallet/top-ups', () => {
      test('201 credits the caller’s wallet, one balance per currency', async () => {
        const member = await api.newUser('payer');
        const first = await topUp({ amount: 2500, currency: 'EUR' }, member.accessToken);
        assert.equal(first.status, 201, JSON.stringify(first.body));
        assert.equal(first.headers.get('content-type'), 'application/json');
        assert.match(first.body.id, /^[0-9a-f-]{36}$/);
        assert.match(first.body.providerReference, /^sim_/);
        assert.deepEqual(first.body.wallet, { currency: 'EUR', balance: 2500, available: 2500, held: 0 });
        assert.equal((await topUp({ amount: 500, currency: 'EUR' }, member.accessToken)).body.wallet.available, 3000);
        assert.equal((await topUp({ amount: 1200, currency: 'JPY' }, member.accessToken)).status, 201);
        assert.deepEqual((await wallet(member)).balances, [
          { currency: 'EUR', balance: 3000, available: 3000, held: 0 },
          { currency: 'JPY', balance: 1200, available: 1200, held: 0 },
        ]);
      });

      test('401 without a token, and nothing moves', async () => {
        assertProblem(await topUp({ amount: 100, currency: 'EUR' }), 401, 'unauthorized');
        assertProblem(await topUp({ amount: 100, currency: 'EUR' }, 'bad-token'), 401);
        assertProblem(
          await call('POST', '/v1/wallet/top-ups', {
            body: { amount: 100, currency: 'EUR' },
            headers: { authorization: 'Basic abc' },
          }),
          401,
          'unauthorized',
        );
      });

      test('400 lists bad fields, and nothing moves', async () => {
        const member = await api.newUser('payer');
        const token = member.accessToken;
        assert.deepEqual(fieldPaths(await topUp({ amount: -1, currency: 'eur' }, token)), ['amount', 'currency']);
        assert.deepEqual(fieldPaths(await topUp({ amount: 12.5, currency: 'EURO' }, token)), ['amount', 'currency']);
        assert.deepEqual(fieldPaths(await topUp({ amount: '100', currency: 'EUR' }, token)), ['amount']);
        assert.deepEqual(fieldPaths(await topUp({ amount: 0, currency: 'EUR' }, token)), ['amount']);
        assert.deepEqual(fieldPaths(await topUp({ amount: 100_000_001, currency: 'EUR' }, token)), ['amount']);
        assert.deepEqual(fieldPaths(await topUp({}, token)), ['amount', 'currency']);
        const metal = await topUp({ amount: 100, currency: 'XAU' }, token);
        assert.deepEqual(fieldPaths(metal), ['currency']);
        assert.match(metal.body.errors[0].message, /ISO 4217/);
        const extra = await topUp({ amount: 100, currency: 'EUR', userId: randomUUID() }, token);
        assert.ok(
          extra.body.errors.some((e: { message: string }) => e.message.includes('"userId"')),
          JSON.stringify(extra.body),
        );
        assertProblem(
          await call('POST', '/v1/wallet/top-ups', {
            token,
            raw: '{"amount":',
            headers: { 'content-type': 'application/json' },
          }),
          400,
          'validationFailed',
        );
        assert.deepEqual((await wallet(member)).balances, []);
      });

      test('422 currencyNotSupported for a currency the provider does not settle, and nothing moves', async () => {
        const member = await api.newUser('payer');
        const response = await topUp({ amount: 100, currency: 'CHF' }, member.accessToken);
        assertProblem(response, 422, 'payments.currencyNotSupported');
        assert.match(response.body.detail, /CHF/);
        assert.deepEqual((await wallet(member)).balances, []);
      });

      test('an Idempotency-Key makes a retried top-up credit once', async () => {
        const member = await api.newUser('payer');
        const headers = { 'idempotency-key': randomUUID() };
        const first = await topUp({ amount: 900, currency: 'EUR' }, member.accessToken, headers);
        assert.equal(first.status, 201);
        const retry = await topUp({ amount: 900, currency: 'EUR' }, member.accessToken, headers);
        assert.equal(retry.status, 201);
        assert.equal(retry.headers.get('idempotent-replayed'), 'true');
        assert.deepEqual(retry.body, first.body);
        assertProblem(
          await topUp({ amount: 901, currency: 'EUR' }, member.accessToken, headers),
          422,
          'idempotencyKeyReused',
        );
        assert.deepEqual((await wallet(member)).balances, [{ currency: 'EUR', balance: 900, available: 900, held: 0 }]);
      });

      test('concurrent top-ups all land', async () => {
        const member = await api.newUser('payer');
        const responses = await Promise.all(
          Array.from({ length: 12 }, (_, i) => topUp({ amount: 100 + i, currency: 'USD' }, member.accessToken)),
        );
        assert.deepEqual([...new Set(responses.map((r) => r.status))], [201]);
        const total = Array.from({ length: 12 }, (_, i) => 100 + i).reduce((a, b) => a + b, 0);
        assert.deepEqual((await wallet(member)).balances, [
          { currency: 'USD', balance: total, available: total, held: 0 },
        ]);
        assert.equal((await history(member, '?limit=100')).transactions.length, 12);
      });
    });

    describe('GET /v1/wallet/transactions', () => {
      test('newest first, a page at a time with nextCursor', async () => {
        const member = await api.newUser('payer');
        for (const amount of [100, 200, 300, 400, 500])
          assert.equal((await topUp({ amount, currency: 'GBP' }, member.accessToken)).status, 201);
        const first = await history(member, '?limit=2');
        assert.deepEqual(
          first.transactions.map((t) => t.amount),
          [500, 400],
        );
        assert.deepEqual(first.transactions[0]!.entries, [{ account: 'wallet', amount: 500 }]);
        assert.equal(first.transactions[0]!.kind, 'top_up');
        assert.equal(first.transactions[0]!.currency, 'GBP');
        assert.match(first.transactions[0]!.reference ?? '', /^sim_/);
        assert.ok(first.nextCursor);
        const second = await history(member, `?limit=2&cursor=${first.nextCursor}`);
        assert.deepEqual(
          second.transactions.map((t) => t.amount),
          [300, 200],
        );
        const last = await history(member, `?limit=2&cursor=${second.nextCursor}`);
        assert.deepEqual(
          last.transactions.map((t) => t.amount),
          [100],
        );
        assert.equal(last.nextCursor, null);
        assert.deepEqual((await history(member)).transactions.length, 5);
      });

      test('another member sees none of it', async () => {
        const member = await api.newUser('payer');
        await topUp({ amount: 100, currency: 'EUR' }, member.accessToken);
        const stranger = await api.newUser('stranger');
        assert.deepEqual(await history(stranger), { transactions: [], nextCursor: null });
      });

      test('400 for a page size out of range or a malformed cursor', async () => {
        const member = await api.newUser('payer');
        const bad = (query: string) => call('GET', `/v1/wallet/transactions${query}`, { token: member.accessToken });
        assert.deepEqual(fieldPaths(await bad('?limit=0')), ['limit']);
        assert.deepEqual(fieldPaths(await bad('?limit=1000')), ['limit']);
        assert.deepEqual(fieldPaths(await bad('?cursor=abc')), ['cursor']);
        assert.deepEqual(fieldPaths(await bad('?limit=ten&cursor=-1')), ['cursor', 'limit']);
      });
    });

    describe('with the payment provider down (PAYMENT_PROVIDER_FAILURE_RATE=1)', () => {
      test('a top-up is 504 providerUnavailable and moves no money; the wallet stays readable', async () => {
        const down = apiClient(providerDown.baseUrl);
        const member = await down.newUser('payer');
        // More failures than the breaker threshold: a provider outage must not take the payments service out of rotation.
        for (let i = 0; i < 7; i++) {
          const response = await topUp({ amount: 1000, currency: 'EUR' }, member.accessToken, undefined, down);
          assertProblem(response, 504, 'payments.providerUnavailable');
          assert.match(response.body.detail, /No money was moved/);
        }
        assert.deepEqual(await wallet(member, down), { userId: member.id, balances: [] });
        assert.deepEqual(await history(member, '', down), { transactions: [], nextCursor: null });
      });

      test('a failed keyed top-up frees its key for a retry', async () => {
        const down = apiClient(providerDown.baseUrl);
        const member = await down.newUser('payer');
        const headers = { 'idempotency-key': randomUUID() };
        for (let i = 0; i < 2; i++)
          assertProblem(
            await topUp({ amount: 1000, currency: 'EUR' }, member.accessToken, headers, down),
            504,
            'payments.providerUnavailable',
          );
        assert.deepEqual((await wallet(member, down)).balances, []);
      });
    });

    if (name === 'split') {
      describe('saga commands over the HTTP bus', () => {
        let caller: Host;
        const ops = payments.ops;
        const key = () => `e2e-${randomUUID()}`;
        const send = <O extends (typeof ops)[keyof typeof ops]>(op: O, input: InputOf<O>) =>
          caller.platform.bus.call(op, input, systemContext());

        before(async () => {
          // A caller process like the future rentals service: hosts nothing, finds payments in the registry.
          const config = parseConfig({ ...topology.env, LOG_LEVEL: 'silent' });
          const log = createLogger({ level: 'silent', pretty: false, name: 'e2e-saga' });
          const credentials = serviceCredentials({ secret: config.INTERNAL_SERVICE_SECRET, service: 'e2e-saga' });
          caller = await hostModules({
            config,
            log,
            service: 'e2e-saga',
            modules: [],
            connect: (platform) =>
              routeRemoteModules({ platform, credentials, contracts: [payments as unknown as AnyContract] }),
          });
        });
        after(async () => {
          await caller?.stop();
        });

        test('authorize, capture and refund move money the owner and renter see over HTTP', async () => {
          const renter = await api.newUser('renter');
          const owner = await api.newUser('owner');
          assert.equal((await topUp({ amount: 10_000, currency: 'EUR' }, renter.accessToken)).status, 201);
          const authorize = {
            operationId: key(),
            payerId: renter.id,
            amount: 7_000,
            currency: 'EUR',
            reference: `rental-${randomUUID()}`,
          };
          const auth = await send(ops.authorizePayment, authorize);
          assert.deepEqual(
            await send(ops.authorizePayment, authorize),
            auth,
            'a repeat across the wire returns the first result',
          );
          assert.deepEqual((await wallet(renter)).balances, [
            { currency: 'EUR', balance: 10_000, available: 3_000, held: 7_000 },
          ]);

          const capture = {
            operationId: key(),
            authorizationId: auth.id,
            payeeId: owner.id,
            currency: 'EUR',
            feeAmount: 2_000,
            platformFeeBasisPoints: 1_000,
          };
          const mismatch = await failsWith(
            send(ops.capturePayment, { ...capture, operationId: key(), currency: 'USD' }),
            'payments.currencyMismatch',
          );
          assert.equal(mismatch.kind, 'conflict');
          await failsWith(
            send(ops.capturePayment, { ...capture, operationId: authorize.operationId }),
            'payments.operationKeyReused',
          );
          const captured = await send(ops.capturePayment, capture);
          assert.equal(captured.status, 'captured');
          assert.deepEqual(await send(ops.capturePayment, capture), captured);
          assert.deepEqual((await wallet(renter)).balances, [
            { currency: 'EUR', balance: 8_000, available: 8_000, held: 0 },
          ]);
          assert.deepEqual((await wallet(owner)).balances, [
            { currency: 'EUR', balance: 1_800, available: 1_800, held: 0 },
          ]);
          assert.deepEqual(
            (await history(owner)).transactions.map((t) => [t.kind, t.amount]),
            [['capture', 1_800]],
          );

          await failsWith(
            send(ops.voidAuthorization, { operationId: key(), authorizationId: auth.id }),
            'payments.illegalTransition',
          );
          assert.equal(
            (await send(ops.refundPayment, { operationId: key(), authorizationId: auth.id })).status,
            'refunded',
          );
          assert.deepEqual((await wallet(renter)).balances, [
            { currency: 'EUR', balance: 10_000, available: 10_000, held: 0 },
          ]);
          assert.deepEqual((await wallet(owner)).balances, [{ currency: 'EUR', balance: 0, available: 0, held: 0 }]);
        });

        test('insufficientFunds and a voided hold, across the wire', async () => {
          const renter = await api.newUser('renter');
          await topUp({ amount: 1_000, currency: 'EUR' }, renter.accessToken);
          const short = await failsWith(
            send(ops.authorizePayment, {
              operationId: key(),
              payerId: renter.id,
              amount: 1_001,
              currency: 'EUR',
              reference: 'r',
            }),
            'payments.insufficientFunds',
          );
          assert.equal(short.kind, 'unprocessable');
          const auth = await send(ops.authorizePayment, {
            operationId: key(),
            payerId: renter.id,
            amount: 1_000,
            currency: 'EUR',
            reference: 'r',
          });
          const voided = await send(ops.voidAuthorization, { operationId: key(), authorizationId: auth.id });
          assert.equal(voided.status, 'voided');
          assert.deepEqual(await send(ops.voidAuthorization, { operationId: key(), authorizationId: auth.id }), voided);
          assert.deepEqual(await send(ops.getAuthorization, { authorizationId: auth.id }), voided);
          await failsWith(
            send(ops.getAuthorization, { authorizationId: randomUUID() }),
            'payments.authorizationNotFound',
          );
          assert.deepEqual((await wallet(renter)).balances, [
            { currency: 'EUR', balance: 1_000, available: 1_000, held: 0 },
          ]);
        });
      });
    }

    test('GET /openapi.json lists every wallet route with its error responses, and no saga command', async () => {
      const response = await call('GET', '/openapi.json');
      assert.equal(response.status, 200);
      const doc = response.body as {
        paths: Record<
          string,
          Record<
            string,
            {
              operationId: string;
              security?: unknown[];
              parameters?: { name: string; in: string }[];
              responses: Record<string, { content?: Record<string, unknown> }>;
            }
          >
        >;
        components: { schemas: Record<string, unknown> };
      };
      const listed = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m} ${path}`),
      );
      for (const [method, path] of PAYMENTS_ROUTES)
        assert.ok(listed.includes(`${method} ${path}`), `${method} ${path} missing`);
      for (const schema of ['Wallet', 'WalletBalance', 'WalletTransaction', 'TopUp'])
        assert.ok(doc.components.schemas[schema], `${schema} is a schema component`);

      for (const { op, operation } of documentedOperations(
        doc.paths,
        Object.values(payments.ops) as Op[],
        PAYMENTS_ROUTES.length,
      )) {
        assert.ok(operation.security, `${op.name} requires a token`);
        const expected = new Set([
          op.http.status,
          400,
          401,
          500,
          ...(op.errors ?? []).map((e) => statusOfKind[payments.errors[e as keyof typeof payments.errors]]),
        ]);
        for (const status of expected) assert.ok(operation.responses[status], `${op.name} does not document ${status}`);
        for (const [status, body] of Object.entries(operation.responses)) {
          if (Number(status) >= 400)
            assert.ok(body.content?.['application/problem+json'], `${op.name} ${status} is not problem+json`);
        }
      }
      const topUps = doc.paths['/v1/wallet/top-ups']!.post!;
      assert.match(JSON.stringify(topUps.responses['504']), /payments\.providerUnavailable/);
      assert.match(JSON.stringify(topUps.responses['422']), /payments\.paymentDeclined/);
      assert.ok(
        topUps.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'),
        'Idempotency-Key is documented',
      );
      assert.deepEqual(doc.paths['/v1/wallet/transactions']!.get!.parameters?.map((p) => p.name).sort(), [
        'cursor',
        'limit',
      ]);
    });
  });
}
