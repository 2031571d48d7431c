import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eq } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import type { TwoPhaseParticipant } from './coordinator.ts';
import { TwoPhaseInDoubt, TwoPhaseInvalidGid, TwoPhasePrepareTimeout } from './errors.ts';
import { formatGid, newTransactionId } from './gid.ts';
import { localParticipant } from './local-participant.ts';
import { rollbackPrepared, type PreparedWork } from './participant.ts';
import { preparedOnCluster, settlementPerTest, type Settlement } from './testing/databases.ts';
import {
  captureHold,
  completeRental,
  seedRental,
  SETTLED,
  settlementState,
  twoPhaseLog,
  UNSETTLED,
} from './testing/fixtures.ts';

const setup = settlementPerTest();

/** Both participants of settling rentalId, with optional replacements for payments' work. */
function settle(
  s: Settlement,
  rentalId: string,
  payments: (tx: PreparedWork) => Promise<void> = captureHold(rentalId),
): TwoPhaseParticipant[] {
  return [
    localParticipant('rentals', s.stores.rentalsSql, completeRental(rentalId)),
    localParticipant('payments', s.stores.paymentsSql, payments),
  ];
}

const logRow = async (s: Settlement, id: string) =>
  (await s.stores.rentalsDb.select().from(twoPhaseLog).where(eq(twoPhaseLog.id, id)))[0];
const waitFor = async (check: () => Promise<boolean>, ms = 5_000) => {
  for (const until = Date.now() + ms; !(await check()); ) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('happy path: both databases commit and the log ends done with each participant xid', async () => {
  const s = await setup();
  const rentalId = await seedRental(s.stores);
  const result = await s.coordinator().run(settle(s, rentalId));
  assert.deepEqual(
    { ...result, transactionId: undefined },
    { transactionId: undefined, outcome: 'committed', complete: true, pending: [], failures: [] },
  );
  assert.deepEqual(await settlementState(s.stores, rentalId), SETTLED);
  const row = await logRow(s, result.transactionId);
  assert.equal(row?.state, 'done');
  assert.equal(row?.outcome, 'commit');
  assert.ok(row?.decidedAt && row.completedAt);
  assert.deepEqual(
    row?.participants.map((p) => p.name),
    ['rentals', 'payments'],
  );
  assert.ok(row?.participants.every((p) => /^\d+$/.test(p.xid ?? '')));
  assert.deepEqual(await preparedOnCluster(s.serverUrl, s.prefix), []);
});

test('a participant whose work fails votes no: both databases roll back', async () => {
  const s = await setup();
  const rentalId = await seedRental(s.stores);
  const result = await s.coordinator().run(settle(s, rentalId, captureHold(rentalId, { fail: true })));
  assert.equal(result.outcome, 'aborted');
  assert.equal(result.complete, true);
  assert.deepEqual(
    result.failures.map((f) => [f.participant, (f.error as Error).message]),
    [['payments', 'insufficient funds']],
  );
  assert.deepEqual(await settlementState(s.stores, rentalId), UNSETTLED);
  assert.deepEqual(await logRow(s, result.transactionId).then((r) => [r?.state, r?.outcome]), ['done', 'abort']);
  assert.deepEqual(await preparedOnCluster(s.serverUrl, s.prefix), []);
});

test('a prepare that times out aborts; when it lands late it is rolled back too', async () => {
  const s = await setup();
  const rentalId = await seedRental(s.stores);
  const [rentals, payments] = settle(s, rentalId, captureHold(rentalId, { sleepMs: 1_500 }));
  const events: string[] = [];
  const slow: TwoPhaseParticipant = {
    ...payments!,
    prepare: async (gid) => {
      const vote = await payments!.prepare(gid);
      events.push('prepared');
      return vote;
    },
    rollback: async (gid, vote) => {
      events.push(`rollback:${await rollbackPrepared(s.stores.paymentsSql, gid, vote?.xid ? { xid: vote.xid } : {})}`);
    },
  };
  const started = Date.now();
  const result = await s.coordinator({ prepareTimeoutMs: 300 }).run([rentals!, slow]);
  assert.ok(Date.now() - started < 1_400, 'the coordinator does not wait for the slow participant');
  assert.equal(result.outcome, 'aborted');
  assert.ok(result.failures[0]?.error instanceof TwoPhasePrepareTimeout);
  assert.deepEqual(await settlementState(s.stores, rentalId), UNSETTLED);
  // The abort found nothing to roll back; the prepare lands about a second later and is rolled back at once.
  await waitFor(async () => events.length === 3);
  assert.deepEqual(events, ['rollback:absent', 'prepared', 'rollback:rolled-back']);
  assert.deepEqual(await preparedOnCluster(s.serverUrl, s.prefix), []);
  assert.deepEqual(await settlementState(s.stores, rentalId), UNSETTLED);
});

test('decisionFor aborts a stale undecided transaction atomically: its coordinator can no longer commit', async () => {
  const s = await setup();
  const coordinator = s.coordinator();
  const rentalId = await seedRental(s.stores);
  const answers: string[] = [];
  const [rentals, payments] = settle(s, rentalId);
  const meddling: TwoPhaseParticipant = {
    ...payments!,
    async prepare(gid) {
      const vote = await payments!.prepare(gid);
      answers.push(await coordinator.decisionFor(gid)); // young: still being decided
      answers.push(await coordinator.decisionFor(gid, { abortUndecidedOlderThanMs: 0 })); // e.g. a participant's resolveOrphans
      return vote;
    },
  };
  const result = await coordinator.run([rentals!, meddling]);
  assert.deepEqual(answers, ['unknown', 'abort']);
  assert.equal(result.outcome, 'aborted');
  assert.deepEqual(result.failures, []);
  assert.deepEqual(await settlementState(s.stores, rentalId), UNSETTLED);
  assert.equal(await coordinator.decisionFor(s.gidOf(result.transactionId, 'payments')), 'abort');
  assert.deepEqual(await preparedOnCluster(s.serverUrl, s.prefix), []);
});

test('a participant unreachable at commit time: committed but incomplete, recover() finishes it', async () => {
  const s = await setup();
  const coordinator = s.coordinator({ finishRetryMs: 200 });
  const rentalId = await seedRental(s.stores);
  const [rentals, payments] = settle(s, rentalId);
  let paymentsUp = false;
  const flaky: TwoPhaseParticipant = {
    ...payments!,
    commit: async (gid, vote) => {
      if (!paymentsUp) throw new Error('payments unavailable');
      await payments!.commit(gid, vote);
    },
  };
  const result = await coordinator.run([rentals!, flaky]);
  assert.deepEqual([result.outcome, result.complete, result.pending], ['committed', false, ['payments']]);
  assert.deepEqual(await settlementState(s.stores, rentalId), {
    rental: 'completed',
    hold: 'authorized',
    ledgerEntries: 0,
  });
  const row = await logRow(s, result.transactionId);
  assert.equal(row?.state, 'committing');
  assert.ok((row?.attempts ?? 0) >= 1);
  assert.match(row?.lastError ?? '', /payments unavailable/);
  assert.equal(await coordinator.decisionFor(s.gidOf(result.transactionId, 'payments')), 'commit');

  assert.deepEqual(
    await coordinator.recover(),
    { committed: [], aborted: [], pending: [] },
    'too young for the default staleness',
  );
  paymentsUp = true;
  const report = await coordinator.recover({ olderThanMs: 0 });
  assert.deepEqual(report, { committed: [result.transactionId], aborted: [], pending: [] });
  assert.deepEqual(await settlementState(s.stores, rentalId), SETTLED);
  assert.deepEqual(await preparedOnCluster(s.serverUrl, s.prefix), []);
});

test('when the decision write fails in flight the outcome is in doubt: nothing is finished, recovery aborts', async () => {
  const s = await setup();
  let transactions = 0;
  const db = new Proxy(s.stores.rentalsDb, {
    get(target, key, receiver) {
      if (key === 'transaction') {
        return (...args: Parameters<typeof target.transaction>) => {
          if (++transactions === 2) return Promise.reject(new Error('connection reset while writing the decision'));
          return target.transaction(...args);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
  const coordinator = s.coordinator({ db });
  const rentalId = await seedRental(s.stores);
  const failure = await coordinator.run(settle(s, rentalId)).catch((e: unknown) => e);
  assert.ok(failure instanceof TwoPhaseInDoubt);
  assert.equal(
    (await preparedOnCluster(s.serverUrl, s.prefix)).length,
    2,
    'both stay prepared until the decision is known',
  );
  assert.equal((await logRow(s, failure.transactionId))?.state, 'preparing');

  const report = await s.coordinator().recover({ olderThanMs: 0 });
  assert.deepEqual(report.aborted, [failure.transactionId]);
  assert.deepEqual(await settlementState(s.stores, rentalId), UNSETTLED);
  assert.deepEqual(await preparedOnCluster(s.serverUrl, s.prefix), []);
});

test('decisionFor: no log row is a presumed abort; foreign GIDs are refused', async () => {
  const s = await setup();
  const coordinator = s.coordinator();
  assert.equal(await coordinator.decisionFor(s.gidOf(newTransactionId(), 'payments')), 'abort');
  await assert.rejects(
    coordinator.decisionFor(
      formatGid({ coordinator: 'someone-else', participant: 'payments', transactionId: newTransactionId() }),
    ),
    TwoPhaseInvalidGid,
  );
  const rentalId = await seedRental(s.stores);
  const { transactionId } = await coordinator.run(settle(s, rentalId));
  assert.equal(await coordinator.decisionFor(s.gidOf(transactionId, 'payments')), 'commit');
  assert.equal(
    await coordinator.decisionFor(formatGid({ coordinator: s.name, participant: 'stranger', transactionId })),
    'abort',
  );
});

test('prune deletes finished rows only', async () => {
  const s = await setup();
  const coordinator = s.coordinator({ finishRetryMs: 0 });
  const finished = await coordinator.run(settle(s, await seedRental(s.stores)));
  const rentalId = await seedRental(s.stores);
  const [rentals, payments] = settle(s, rentalId);
  const stuck = await coordinator.run([rentals!, { ...payments!, commit: () => Promise.reject(new Error('down')) }]);
  assert.equal(await coordinator.prune(60_000), 0);
  assert.equal(await coordinator.prune(0), 1);
  assert.equal(await logRow(s, finished.transactionId), undefined);
  assert.equal((await logRow(s, stuck.transactionId))?.state, 'committing');
  assert.deepEqual((await coordinator.recover({ olderThanMs: 0 })).committed, [stuck.transactionId]);
});

test('the drizzle log table and twoPhaseLogDdl describe the same table', async () => {
  const s = await setup();
  const config = getTableConfig(twoPhaseLog);
  const columns = await s.stores.rentalsSql<{ column_name: string; data_type: string; is_nullable: string }[]>`
    select column_name, data_type, is_nullable from information_schema.columns
     where table_schema = 'rentals' and table_name = ${config.name} order by ordinal_position`;
  assert.deepEqual(
    columns.map((c) => [c.column_name, c.is_nullable === 'NO']),
    config.columns.map((c) => [c.name, c.notNull]),
  );
  const constraints = await s.stores.rentalsSql<{ conname: string }[]>`
    select conname from pg_constraint where conrelid = 'rentals.two_phase_log'::regclass and contype = 'c' order by conname`;
  assert.deepEqual(
    constraints.map((c) => c.conname),
    config.checks.map((c) => c.name).sort(),
  );
  const bad = [
    ['committing', null],
    ['aborting', 'commit'],
    ['preparing', 'abort'],
    ['done', null],
  ] as const;
  for (const [state, outcome] of bad) {
    await assert.rejects(
      s.stores.rentalsDb.insert(twoPhaseLog).values({ id: newTransactionId(), participants: [], state, outcome }),
      (e: Error) => /outcome_check/.test(String(e.cause)),
      `${state}/${outcome}`,
    );
  }
});
