import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { failsWith } from '../../../test/support/fails-with.ts';
import { startTestHost, type TestHost } from '../../../test/support/test-host.ts';
import type { InputOf, OutputOf } from '../../shared/bus/contract.ts';
import { systemContext } from '../../shared/bus/context.ts';
import { AppError } from '../../shared/bus/errors.ts';
import type { Db } from '../../shared/db/database.ts';
import { payments } from './contract.ts';
import { settleInTransaction } from './handlers/settle.ts';
import { paymentsModule } from './module.ts';

let host: TestHost;
let sql: postgres.Sql;
let db: Db;
before(async () => {
  host = await startTestHost([paymentsModule]);
  sql = postgres(host.databaseUrl, { max: 3, onnotice: () => {} });
  db = (await host.platform.database('payments')).db;
});
after(async () => {
  await sql?.end({ timeout: 5 });
  await host?.stop();
});

const ops = payments.ops;
type Authorization = OutputOf<typeof ops.authorizePayment>;
const as = (userId: string) => systemContext({ caller: { userId, role: 'member' } });
const call = <O extends (typeof ops)[keyof typeof ops]>(op: O, input: InputOf<O>, ctx = systemContext()) =>
  host.platform.bus.call(op, input, ctx);
const key = () => `op-${randomUUID()}`;

async function topUp(userId: string, amount: number, currency = 'EUR') {
  return call(ops.topUpWallet, { amount, currency }, as(userId));
}

/** A member with money in their wallet. */
async function funded(amount: number, currency = 'EUR'): Promise<string> {
  const userId = randomUUID();
  if (amount > 0) await topUp(userId, amount, currency);
  return userId;
}

async function balanceOf(userId: string, currency = 'EUR') {
  const wallet = await call(ops.getWallet, {}, as(userId));
  return wallet.balances.find((b) => b.currency === currency) ?? { currency, balance: 0, available: 0, held: 0 };
}

const authorize = (payerId: string, amount: number, overrides: Partial<InputOf<typeof ops.authorizePayment>> = {}) =>
  call(ops.authorizePayment, {
    operationId: key(),
    payerId,
    amount,
    currency: 'EUR',
    reference: `rental-${randomUUID()}`,
    ...overrides,
  });

async function platformFees(currency = 'EUR'): Promise<number> {
  const [row] =
    await sql`select coalesce(sum(balance), 0)::bigint as total from payments.accounts where kind = 'platform_fees' and currency = ${currency}`;
  return Number(row!.total);
}

describe('payments (bus, PostgreSQL)', () => {
  describe('top-ups and the wallet', () => {
    test('a top-up credits the wallet through the provider and shows in balances and history', async () => {
      const userId = randomUUID();
      const first = await topUp(userId, 2500);
      assert.equal(first.amount, 2500);
      assert.match(first.providerReference, /^sim_/);
      assert.deepEqual(first.wallet, { currency: 'EUR', balance: 2500, available: 2500, held: 0 });
      const second = await topUp(userId, 700, 'USD');
      assert.deepEqual(second.wallet, { currency: 'USD', balance: 700, available: 700, held: 0 });
      const wallet = await call(ops.getWallet, {}, as(userId));
      assert.deepEqual(wallet, {
        userId,
        balances: [
          { currency: 'EUR', balance: 2500, available: 2500, held: 0 },
          { currency: 'USD', balance: 700, available: 700, held: 0 },
        ],
      });
      const history = await call(ops.listWalletTransactions, {}, as(userId));
      assert.deepEqual(
        history.transactions.map((t) => [t.kind, t.currency, t.amount, t.entries, t.reference]),
        [
          ['top_up', 'USD', 700, [{ account: 'wallet', amount: 700 }], second.providerReference],
          ['top_up', 'EUR', 2500, [{ account: 'wallet', amount: 2500 }], first.providerReference],
        ],
      );
      assert.equal(history.nextCursor, null);
    });

    test('a new member has an empty wallet; wallet routes need a caller', async () => {
      assert.deepEqual((await call(ops.getWallet, {}, as(randomUUID()))).balances, []);
      await failsWith(call(ops.getWallet, {}), 'unauthorized');
      await failsWith(call(ops.listWalletTransactions, {}), 'unauthorized');
      await failsWith(call(ops.topUpWallet, { amount: 100, currency: 'EUR' }), 'unauthorized');
    });

    test('invalid amounts and currencies are field errors', async () => {
      const error = await failsWith(
        call(ops.topUpWallet, { amount: 0, currency: 'eur' }, as(randomUUID())),
        'validationFailed',
      );
      assert.deepEqual(error.errors?.map((e) => e.path).sort(), ['amount', 'currency']);
      await failsWith(call(ops.topUpWallet, { amount: 100, currency: 'XAU' }, as(randomUUID())), 'validationFailed');
    });

    test('history pages newest first with a cursor, and shows only the caller’s side', async () => {
      const payer = await funded(0);
      for (const amount of [100, 200, 300, 400, 500]) await topUp(payer, amount);
      const owner = randomUUID();
      const auth = await authorize(payer, 1000);
      await call(ops.capturePayment, {
        operationId: key(),
        authorizationId: auth.id,
        payeeId: owner,
        currency: 'EUR',
        feeAmount: 600,
      });

      const first = await call(ops.listWalletTransactions, { limit: 3 }, as(payer));
      assert.deepEqual(
        first.transactions.map((t) => [t.kind, t.amount]),
        [
          ['capture', -600],
          ['authorization', 0],
          ['top_up', 500],
        ],
      );
      assert.deepEqual(first.transactions[0]!.entries, [
        { account: 'wallet', amount: 400 },
        { account: 'holds', amount: -1000 },
      ]);
      assert.deepEqual(first.transactions[1]!.entries, [
        { account: 'wallet', amount: -1000 },
        { account: 'holds', amount: 1000 },
      ]);
      assert.equal(first.transactions[0]!.authorizationId, auth.id);
      assert.equal(first.transactions[0]!.reference, auth.reference);
      assert.ok(first.nextCursor);
      const second = await call(ops.listWalletTransactions, { limit: 3, cursor: first.nextCursor }, as(payer));
      assert.deepEqual(
        second.transactions.map((t) => t.amount),
        [400, 300, 200],
      );
      const last = await call(ops.listWalletTransactions, { limit: 3, cursor: second.nextCursor! }, as(payer));
      assert.deepEqual(
        last.transactions.map((t) => t.amount),
        [100],
      );
      assert.equal(last.nextCursor, null);

      const ownerView = await call(ops.listWalletTransactions, {}, as(owner));
      assert.deepEqual(
        ownerView.transactions.map((t) => [t.kind, t.amount, t.entries]),
        [['capture', 600, [{ account: 'wallet', amount: 600 }]]],
      );
    });
  });

  describe('authorize, capture, void, refund', () => {
    test('authorize moves the amount from available to held', async () => {
      const payer = await funded(10_000);
      const auth = await authorize(payer, 7_000, { reference: 'rental-42' });
      assert.equal(auth.status, 'authorized');
      assert.equal(auth.amount, 7_000);
      assert.equal(auth.payerId, payer);
      assert.equal(auth.payeeId, null);
      assert.equal(auth.reference, 'rental-42');
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 10_000, available: 3_000, held: 7_000 });
      assert.deepEqual(await call(ops.getAuthorization, { authorizationId: auth.id }), auth);
    });

    test('insufficientFunds when the wallet holds less, and nothing moves', async () => {
      const payer = await funded(5_000);
      const error = await failsWith(authorize(payer, 5_001), 'payments.insufficientFunds');
      assert.equal(error.kind, 'unprocessable');
      assert.match(error.detail, /50\.00 EUR available, 50\.01 EUR needed/);
      await failsWith(authorize(payer, 100, { currency: 'USD' }), 'payments.insufficientFunds');
      await failsWith(authorize(randomUUID(), 1), 'payments.insufficientFunds');
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 5_000, available: 5_000, held: 0 });
      await authorize(payer, 5_000);
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 5_000, available: 0, held: 5_000 });
    });

    test('capture settles in one step: fee to the owner less the platform fee, deposit back to the renter', async () => {
      const payer = await funded(20_000);
      const owner = await funded(1_000);
      const feesBefore = await platformFees();
      const auth = await authorize(payer, 12_000);
      const captured = await call(ops.capturePayment, {
        operationId: key(),
        authorizationId: auth.id,
        payeeId: owner,
        currency: 'EUR',
        feeAmount: 2_000,
        platformFeeBasisPoints: 1_000,
      });
      assert.equal(captured.status, 'captured');
      assert.equal(captured.payeeId, owner);
      assert.equal(captured.capturedAmount, 2_000);
      assert.equal(captured.platformFeeAmount, 200);
      assert.equal(captured.releasedAmount, 10_000);
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 18_000, available: 18_000, held: 0 });
      assert.deepEqual(await balanceOf(owner), { currency: 'EUR', balance: 2_800, available: 2_800, held: 0 });
      assert.equal(await platformFees(), feesBefore + 200);
      assert.deepEqual(await call(ops.getAuthorization, { authorizationId: auth.id }), captured);
    });

    test('capture is refused in another currency, above the hold, for an unknown or closed authorization', async () => {
      const payer = await funded(5_000);
      const owner = randomUUID();
      const auth = await authorize(payer, 3_000);
      const capture = { authorizationId: auth.id, payeeId: owner, currency: 'EUR', feeAmount: 1_000 };
      const mismatch = await failsWith(
        call(ops.capturePayment, { ...capture, operationId: key(), currency: 'USD' }),
        'payments.currencyMismatch',
      );
      assert.equal(mismatch.kind, 'conflict');
      assert.match(mismatch.detail, /EUR, not USD/);
      await failsWith(
        call(ops.capturePayment, { ...capture, operationId: key(), feeAmount: 3_001 }),
        'payments.captureExceedsAuthorization',
      );
      await failsWith(
        call(ops.capturePayment, { ...capture, operationId: key(), authorizationId: randomUUID() }),
        'payments.authorizationNotFound',
      );
      await failsWith(
        call(ops.capturePayment, { ...capture, operationId: key(), platformFeeBasisPoints: 10_001 }),
        'validationFailed',
      );
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 5_000, available: 2_000, held: 3_000 });

      await call(ops.capturePayment, { ...capture, operationId: key() });
      const again = await failsWith(
        call(ops.capturePayment, { ...capture, operationId: key() }),
        'payments.illegalTransition',
      );
      assert.match(again.detail, /is captured/);
      await failsWith(
        call(ops.voidAuthorization, { operationId: key(), authorizationId: auth.id }),
        'payments.illegalTransition',
      );
    });

    test('void returns the hold; voiding again succeeds unchanged; a voided one cannot be captured', async () => {
      const payer = await funded(4_000);
      const auth = await authorize(payer, 4_000);
      const voided = await call(ops.voidAuthorization, { operationId: key(), authorizationId: auth.id });
      assert.equal(voided.status, 'voided');
      assert.equal(voided.releasedAmount, 4_000);
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 4_000, available: 4_000, held: 0 });
      const again = await call(ops.voidAuthorization, { operationId: key(), authorizationId: auth.id });
      assert.deepEqual(again, voided);
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 4_000, available: 4_000, held: 0 });
      await failsWith(
        call(ops.capturePayment, {
          operationId: key(),
          authorizationId: auth.id,
          payeeId: randomUUID(),
          currency: 'EUR',
          feeAmount: 1,
        }),
        'payments.illegalTransition',
      );
      await failsWith(
        call(ops.refundPayment, { operationId: key(), authorizationId: auth.id }),
        'payments.illegalTransition',
      );
      await failsWith(
        call(ops.voidAuthorization, { operationId: key(), authorizationId: randomUUID() }),
        'payments.authorizationNotFound',
      );
    });

    test('refund reverses a capture in full; refunding again succeeds unchanged', async () => {
      const payer = await funded(10_000);
      const owner = randomUUID();
      const feesBefore = await platformFees();
      const auth = await authorize(payer, 10_000);
      await failsWith(
        call(ops.refundPayment, { operationId: key(), authorizationId: auth.id }),
        'payments.illegalTransition',
      );
      await call(ops.capturePayment, {
        operationId: key(),
        authorizationId: auth.id,
        payeeId: owner,
        currency: 'EUR',
        feeAmount: 3_000,
        platformFeeBasisPoints: 500,
      });
      assert.deepEqual(await balanceOf(owner), { currency: 'EUR', balance: 2_850, available: 2_850, held: 0 });
      const refunded = await call(ops.refundPayment, { operationId: key(), authorizationId: auth.id });
      assert.equal(refunded.status, 'refunded');
      assert.equal(refunded.refundedAmount, 3_000);
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 10_000, available: 10_000, held: 0 });
      assert.deepEqual(await balanceOf(owner), { currency: 'EUR', balance: 0, available: 0, held: 0 });
      assert.equal(await platformFees(), feesBefore);
      assert.deepEqual(await call(ops.refundPayment, { operationId: key(), authorizationId: auth.id }), refunded);
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 10_000, available: 10_000, held: 0 });
    });

    test('a refund the owner can no longer cover is insufficientFunds and moves nothing', async () => {
      const payer = await funded(5_000);
      const owner = randomUUID();
      const auth = await authorize(payer, 5_000);
      await call(ops.capturePayment, {
        operationId: key(),
        authorizationId: auth.id,
        payeeId: owner,
        currency: 'EUR',
        feeAmount: 4_000,
      });
      const spent = await authorize(owner, 3_000); // the owner spends most of it on a rental of their own
      const error = await failsWith(
        call(ops.refundPayment, { operationId: key(), authorizationId: auth.id }),
        'payments.insufficientFunds',
      );
      assert.match(error.detail, new RegExp(`user ${owner}`));
      assert.equal((await call(ops.getAuthorization, { authorizationId: auth.id })).status, 'captured');
      assert.deepEqual(await balanceOf(owner), { currency: 'EUR', balance: 4_000, available: 1_000, held: 3_000 });
      await call(ops.voidAuthorization, { operationId: key(), authorizationId: spent.id });
      assert.equal(
        (await call(ops.refundPayment, { operationId: key(), authorizationId: auth.id })).status,
        'refunded',
      );
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 5_000, available: 5_000, held: 0 });
    });

    test('getAuthorization of an unknown id is authorizationNotFound', async () => {
      await failsWith(call(ops.getAuthorization, { authorizationId: randomUUID() }), 'payments.authorizationNotFound');
    });
  });

  describe('operation keys', () => {
    test('a repeated command returns the first result and moves money once', async () => {
      const payer = await funded(10_000);
      const input = { operationId: key(), payerId: payer, amount: 4_000, currency: 'EUR', reference: 'rental-repeat' };
      const first = await call(ops.authorizePayment, input);
      const second = await call(ops.authorizePayment, input);
      assert.deepEqual(second, first);
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 10_000, available: 6_000, held: 4_000 });

      const capture = {
        operationId: key(),
        authorizationId: first.id,
        payeeId: randomUUID(),
        currency: 'EUR',
        feeAmount: 1_000,
      };
      const captured = await call(ops.capturePayment, capture);
      assert.deepEqual(await call(ops.capturePayment, capture), captured);
      assert.deepEqual(
        await call(ops.capturePayment, { ...capture, platformFeeBasisPoints: 0 }),
        captured,
        'a default sent explicitly is the same parameters',
      );
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 9_000, available: 9_000, held: 0 });

      const refund = { operationId: key(), authorizationId: first.id };
      const refunded = await call(ops.refundPayment, refund);
      assert.deepEqual(await call(ops.refundPayment, refund), refunded);
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 10_000, available: 10_000, held: 0 });
      // The original result, even though the authorization has moved on since.
      assert.equal((await call(ops.authorizePayment, input)).status, 'authorized');
    });

    test('the same key with other parameters or for another command is operationKeyReused', async () => {
      const payer = await funded(10_000);
      const operationId = key();
      const auth = await authorize(payer, 1_000, { operationId });
      const reused = await failsWith(
        authorize(payer, 1_001, { operationId, reference: auth.reference }),
        'payments.operationKeyReused',
      );
      assert.equal(reused.kind, 'conflict');
      await failsWith(
        call(ops.voidAuthorization, { operationId, authorizationId: auth.id }),
        'payments.operationKeyReused',
      );
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 10_000, available: 9_000, held: 1_000 });
    });

    test('a command that failed left no trace: its retry runs afresh', async () => {
      const payer = await funded(100);
      const input = { operationId: key(), payerId: payer, amount: 500, currency: 'EUR', reference: 'rental-retry' };
      await failsWith(call(ops.authorizePayment, input), 'payments.insufficientFunds');
      await topUp(payer, 400);
      const auth = await call(ops.authorizePayment, input);
      assert.equal(auth.amount, 500);
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 500, available: 0, held: 500 });
    });

    test('20 concurrent identical authorizations make exactly one hold', async () => {
      const payer = await funded(10_000);
      const input = {
        operationId: key(),
        payerId: payer,
        amount: 3_000,
        currency: 'EUR',
        reference: `rental-${randomUUID()}`,
      };
      const results = await Promise.all(Array.from({ length: 20 }, () => call(ops.authorizePayment, input)));
      for (const result of results) assert.deepEqual(result, results[0]);
      const holds =
        await sql`select count(*)::int as n from payments.authorizations where reference = ${input.reference}`;
      assert.equal(holds[0]!.n, 1);
      const postings =
        await sql`select count(*)::int as n from payments.ledger_transactions where authorization_id = ${results[0]!.id}`;
      assert.equal(postings[0]!.n, 1);
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 10_000, available: 7_000, held: 3_000 });
    });
  });

  describe('concurrency', () => {
    test('concurrent first top-ups of new wallets all land (accounts created on first use)', async () => {
      for (let round = 0; round < 20; round++) {
        const users = [randomUUID(), randomUUID()];
        const results = await Promise.allSettled(
          Array.from({ length: 12 }, (_, i) => topUp(users[i % 2]!, 100 + i, i % 4 < 2 ? 'USD' : 'EUR')),
        );
        const failed = results.filter((r) => r.status === 'rejected');
        assert.deepEqual(failed, [], `round ${round}`);
      }
    });

    test('concurrent authorizations never overdraw: exactly as many as the money covers succeed', async () => {
      const payer = await funded(1_000);
      const results = await Promise.allSettled(Array.from({ length: 25 }, () => authorize(payer, 100)));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 10);
      for (const r of lost) assert.equal((r.reason as AppError).code, 'payments.insufficientFunds', String(r.reason));
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 1_000, available: 0, held: 1_000 });
    });

    test('a concurrent capture and void of one authorization: exactly one wins', async () => {
      const payer = await funded(2_000);
      const auth = await authorize(payer, 2_000);
      const [capture, voided] = await Promise.allSettled([
        call(ops.capturePayment, {
          operationId: key(),
          authorizationId: auth.id,
          payeeId: randomUUID(),
          currency: 'EUR',
          feeAmount: 500,
        }),
        call(ops.voidAuthorization, { operationId: key(), authorizationId: auth.id }),
      ]);
      assert.equal([capture, voided].filter((r) => r.status === 'fulfilled').length, 1);
      const loser = [capture, voided].find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
      assert.equal((loser.reason as AppError).code, 'payments.illegalTransition');
      const final = await call(ops.getAuthorization, { authorizationId: auth.id });
      const payerNow = await balanceOf(payer);
      assert.equal(payerNow.held, 0);
      assert.equal(payerNow.available, final.status === 'voided' ? 2_000 : 1_500);
    });

    test('opposing settlements between two members never deadlock', async () => {
      const alice = await funded(50_000);
      const bob = await funded(50_000);
      const [fromAlice, fromBob] = await Promise.all([
        Promise.all(Array.from({ length: 8 }, () => authorize(alice, 1_000))),
        Promise.all(Array.from({ length: 8 }, () => authorize(bob, 1_000))),
      ]);
      const settle = (auth: Authorization, payeeId: string) =>
        call(ops.capturePayment, {
          operationId: key(),
          authorizationId: auth.id,
          payeeId,
          currency: 'EUR',
          feeAmount: 400,
          platformFeeBasisPoints: 250,
        });
      const captured = await Promise.all([
        ...fromAlice.map((a) => settle(a, bob)),
        ...fromBob.map((a) => settle(a, alice)),
      ]);
      await Promise.all(
        captured
          .slice(0, 4)
          .concat(captured.slice(8, 12))
          .map((a) => call(ops.refundPayment, { operationId: key(), authorizationId: a.id })),
      );
      const expected = 50_000 - 4 * 400 + 4 * 390; // four captures each way stand, each paying 400 and earning 390
      assert.deepEqual(await balanceOf(alice), { currency: 'EUR', balance: expected, available: expected, held: 0 });
      assert.deepEqual(await balanceOf(bob), { currency: 'EUR', balance: expected, available: expected, held: 0 });
    });
  });

  describe('settleInTransaction', () => {
    test('runs inside the caller’s transaction: the caller’s rollback undoes it', async () => {
      const payer = await funded(3_000);
      const auth = await authorize(payer, 3_000);
      const input = {
        operationId: key(),
        authorizationId: auth.id,
        payeeId: randomUUID(),
        currency: 'EUR',
        feeAmount: 1_000,
        platformFeeBasisPoints: 0,
      };
      const rolledBack = new Error('caller aborts');
      await assert.rejects(
        db.transaction(async (tx) => {
          const settled = await settleInTransaction(tx, input);
          assert.equal(settled.status, 'captured');
          throw rolledBack;
        }),
        (error) => error === rolledBack,
      );
      assert.equal((await call(ops.getAuthorization, { authorizationId: auth.id })).status, 'authorized');
      assert.deepEqual(await balanceOf(payer), { currency: 'EUR', balance: 3_000, available: 0, held: 3_000 });
      // Nothing of the rolled-back run was kept, not even its operation key.
      assert.equal((await call(ops.capturePayment, input)).status, 'captured');
    });

    test('a failed settlement leaves the caller’s transaction usable', async () => {
      const payer = await funded(3_000);
      const auth = await authorize(payer, 3_000);
      const input = {
        operationId: key(),
        authorizationId: auth.id,
        payeeId: randomUUID(),
        currency: 'EUR',
        feeAmount: 1_000,
        platformFeeBasisPoints: 0,
      };
      const outcome = await db.transaction(async (tx) => {
        await assert.rejects(
          settleInTransaction(tx, { ...input, currency: 'USD' }),
          (e) => e instanceof AppError && e.code === 'payments.currencyMismatch',
        );
        return settleInTransaction(tx, input);
      });
      assert.equal(outcome.status, 'captured');
      assert.deepEqual(await call(ops.getAuthorization, { authorizationId: auth.id }), outcome);
    });
  });

  describe('the provider', () => {
    async function withProvider(env: Record<string, string>, run: (h: TestHost) => Promise<void>) {
      const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      let other: TestHost | undefined;
      try {
        other = await startTestHost([paymentsModule]);
      } finally {
        for (const [k, v] of Object.entries(saved))
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
      }
      try {
        await run(other);
      } finally {
        await other.stop();
      }
    }
    const movedNothing = async (h: TestHost, userId: string) => {
      assert.deepEqual((await h.platform.bus.call(ops.getWallet, {}, as(userId))).balances, []);
      assert.deepEqual((await h.platform.bus.call(ops.listWalletTransactions, {}, as(userId))).transactions, []);
    };

    test('a failing provider is providerUnavailable and moves no money', async () => {
      await withProvider({ PAYMENT_PROVIDER_FAILURE_RATE: '1' }, async (h) => {
        const userId = randomUUID();
        const error = await failsWith(
          h.platform.bus.call(ops.topUpWallet, { amount: 100, currency: 'EUR' }, as(userId)),
          'payments.providerUnavailable',
        );
        assert.match(error.detail, /No money was moved/);
        await movedNothing(h, userId);
      });
    });

    test('a declined charge is paymentDeclined; a slow one is abandoned; an unsettled currency is refused', async () => {
      await withProvider({ PAYMENT_PROVIDER_DECLINE_RATE: '1', PAYMENT_PROVIDER_CURRENCIES: 'EUR,USD' }, async (h) => {
        const userId = randomUUID();
        await failsWith(
          h.platform.bus.call(ops.topUpWallet, { amount: 100, currency: 'EUR' }, as(userId)),
          'payments.paymentDeclined',
        );
        await failsWith(
          h.platform.bus.call(ops.topUpWallet, { amount: 100, currency: 'JPY' }, as(userId)),
          'payments.currencyNotSupported',
        );
        await movedNothing(h, userId);
      });
      await withProvider({ PAYMENT_PROVIDER_LATENCY_MS: '2000', PAYMENT_PROVIDER_TIMEOUT_MS: '50' }, async (h) => {
        const userId = randomUUID();
        await failsWith(
          h.platform.bus.call(ops.topUpWallet, { amount: 100, currency: 'EUR' }, as(userId)),
          'payments.providerUnavailable',
        );
        await movedNothing(h, userId);
      });
    });
  });

  describe('the ledger in the database', () => {
    test('an unbalanced transaction is refused at commit', async () => {
      const account =
        await sql`select id, currency from payments.accounts where kind = 'wallet' and currency = 'EUR' limit 1`;
      const { id: accountId } = account[0]!;
      const transactionId = randomUUID();
      await assert.rejects(
        sql.begin(async (tx) => {
          await tx`insert into payments.ledger_transactions (id, kind, currency) values (${transactionId}, 'top_up', 'EUR')`;
          await tx`insert into payments.ledger_entries (transaction_id, account_id, currency, amount) values (${transactionId}, ${accountId}, 'EUR', 1)`;
        }),
        /does not balance/,
      );
      await assert.rejects(
        sql.begin(
          (tx) =>
            tx`insert into payments.ledger_transactions (id, kind, currency) values (${randomUUID()}, 'top_up', 'EUR')`,
        ),
        /does not balance: 0 entries/,
      );
    });

    test('entries cannot mix currencies, and the ledger is append-only', async () => {
      const [eur] = await sql`select id from payments.accounts where kind = 'wallet' and currency = 'EUR' limit 1`;
      const [usd] = await sql`select id from payments.accounts where kind = 'wallet' and currency = 'USD' limit 1`;
      const transactionId = randomUUID();
      await assert.rejects(
        sql.begin(async (tx) => {
          await tx`insert into payments.ledger_transactions (id, kind, currency) values (${transactionId}, 'top_up', 'EUR')`;
          await tx`insert into payments.ledger_entries (transaction_id, account_id, currency, amount) values (${transactionId}, ${eur!.id}, 'EUR', 5), (${transactionId}, ${usd!.id}, 'EUR', -5)`;
        }),
        /ledger_entries_account_fk/,
      );
      await assert.rejects(sql`update payments.ledger_entries set amount = amount + 1`, /append-only/);
      await assert.rejects(sql`delete from payments.ledger_entries`, /append-only/);
      await assert.rejects(sql`delete from payments.ledger_transactions`, /append-only/);
      await assert.rejects(sql`truncate payments.ledger_entries cascade`, /append-only/);
      await assert.rejects(
        sql`update payments.accounts set balance = -1 where id = ${eur!.id}`,
        /accounts_non_negative_check/,
      );
    });

    // Last, so it checks everything the tests above wrote.
    test('every transaction sums to zero, every balance equals its entries, and all money sums to zero', async () => {
      const unbalanced = await sql`
        select t.id, coalesce(sum(e.amount), 0)::bigint as total, count(e.id)::int as entries
        from payments.ledger_transactions t left join payments.ledger_entries e on e.transaction_id = t.id
        group by t.id having coalesce(sum(e.amount), 0) <> 0 or count(e.id) < 2`;
      assert.deepEqual([...unbalanced], []);
      const [{ n }] = (await sql`select count(*)::int as n from payments.ledger_transactions`) as unknown as [
        { n: number },
      ];
      assert.ok(n > 50, `expected the suite to have written many transactions, found ${n}`);

      const drifted = await sql`
        select a.id, a.kind, a.balance, coalesce(sum(e.amount), 0)::bigint as entries
        from payments.accounts a left join payments.ledger_entries e on e.account_id = a.id
        group by a.id having a.balance <> coalesce(sum(e.amount), 0)`;
      assert.deepEqual([...drifted], []);

      const perCurrency =
        await sql`select currency, sum(balance)::bigint as total from payments.accounts group by currency`;
      for (const row of perCurrency) assert.equal(Number(row.total), 0, `${row.currency} does not sum to zero`);
      const negative = await sql`select id from payments.accounts where kind in ('wallet', 'holds') and balance < 0`;
      assert.deepEqual([...negative], []);
      const openHolds = await sql`
        select a.owner_id, a.currency, a.balance, coalesce(sum(z.amount), 0)::bigint as authorized
        from payments.accounts a
        left join payments.authorizations z on z.payer_id = a.owner_id and z.currency = a.currency and z.status = 'authorized'
        where a.kind = 'holds' group by a.id having a.balance <> coalesce(sum(z.amount), 0)`;
      assert.deepEqual([...openHolds], [], 'every held amount belongs to an open authorization');
    });
  });
});
