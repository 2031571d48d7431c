/**
 * Crash tests with real process kills: the coordinator (or a participant) runs in a child
 * process that SIGKILLs itself mid-protocol; this process then plays the restarted services
 * (recover() for the coordinator, resolveOrphans for the participant) and checks that both
 * databases agree and nothing is left prepared.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TwoPhaseParticipant } from './coordinator.ts';
import { gidPrefix } from './gid.ts';
import { localParticipant } from './local-participant.ts';
import { resolveOrphans } from './participant.ts';
import { preparedOnCluster, settlementPerTest, type Settlement } from './testing/databases.ts';
import { completeRental, seedRental, SETTLED, settlementState, twoPhaseLog, UNSETTLED } from './testing/fixtures.ts';

const setup = settlementPerTest();

interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs a script of ./testing under tsx to its end. */
function runChild(script: string, env: Record<string, string>): Promise<ChildExit> {
  const path = fileURLToPath(new URL(`./testing/${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, output }));
  });
}

async function crashCoordinator(s: Settlement, rentalId: string, crashAt: 'after-prepares' | 'after-decision') {
  const exit = await runChild('crash-coordinator.ts', {
    RENTALS_URL: s.rentalsUrl,
    PAYMENTS_URL: s.paymentsUrl,
    COORDINATOR: s.name,
    RENTAL_ID: rentalId,
    CRASH_AT: crashAt,
  });
  assert.equal(exit.signal, 'SIGKILL', `the coordinator should have killed itself:\n${exit.output}`);
  assert.match(exit.output, new RegExp(`"crashing":"${crashAt}"`));
  const rows = await s.stores.rentalsDb.select().from(twoPhaseLog);
  assert.equal(rows.length, 1);
  return rows[0]!;
}

const logState = async (s: Settlement) =>
  (await s.stores.rentalsDb.select().from(twoPhaseLog)).map((r) => [r.state, r.outcome]);
const databasesOf = async (s: Settlement) =>
  (await preparedOnCluster(s.serverUrl, s.prefix)).map((p) => p.database).sort();
const [rentalsDbName, paymentsDbName] = [
  (s: Settlement) => new URL(s.rentalsUrl).pathname.slice(1),
  (s: Settlement) => new URL(s.paymentsUrl).pathname.slice(1),
];

test('(a) coordinator killed after every prepare, before the decision: recovery presumes abort', async () => {
  const s = await setup();
  const rentalId = await seedRental(s.stores);
  const row = await crashCoordinator(s, rentalId, 'after-prepares');
  assert.equal(row.state, 'preparing');
  assert.deepEqual(
    await databasesOf(s),
    [rentalsDbName(s), paymentsDbName(s)].sort(),
    'both participants hold a prepared transaction',
  );
  assert.deepEqual(await settlementState(s.stores, rentalId), UNSETTLED);

  // Restart: the rentals worker runs recovery.
  const report = await s.coordinator().recover({ olderThanMs: 0 });
  assert.deepEqual(report, { committed: [], aborted: [row.id], pending: [] });
  assert.deepEqual(await settlementState(s.stores, rentalId), UNSETTLED);
  assert.deepEqual(await preparedOnCluster(s.serverUrl, s.prefix), []);
  assert.deepEqual(await logState(s), [['done', 'abort']]);
});

test('(b) coordinator killed right after logging `committing`: both databases commit after restart', async () => {
  const s = await setup();
  const rentalId = await seedRental(s.stores);
  const row = await crashCoordinator(s, rentalId, 'after-decision');
  assert.deepEqual([row.state, row.outcome], ['committing', 'commit']);
  assert.ok(
    row.participants.every((p) => p.xid),
    'the votes were logged with the decision',
  );
  assert.equal((await preparedOnCluster(s.serverUrl, s.prefix)).length, 2);
  assert.deepEqual(await settlementState(s.stores, rentalId), UNSETTLED, 'nothing visible before COMMIT PREPARED');

  // Payments restarts first and resolves its orphan by asking the coordinator.
  const coordinator = s.coordinator();
  const orphans = await resolveOrphans(
    s.stores.paymentsSql,
    gidPrefix(s.name, 'payments'),
    (gid) => coordinator.decisionFor(gid),
    0,
  );
  assert.deepEqual(orphans, { committed: [s.gidOf(row.id, 'payments')], rolledBack: [], undecided: [], failed: [] });
  assert.deepEqual(await settlementState(s.stores, rentalId), { rental: 'active', hold: 'captured', ledgerEntries: 1 });

  // Then the rentals worker: commits its own share; payments' GID is gone and its xid shows committed.
  const report = await coordinator.recover({ olderThanMs: 0 });
  assert.deepEqual(report, { committed: [row.id], aborted: [], pending: [] });
  assert.deepEqual(await settlementState(s.stores, rentalId), SETTLED);
  assert.deepEqual(await preparedOnCluster(s.serverUrl, s.prefix), []);
  assert.deepEqual(await logState(s), [['done', 'commit']]);
});

test('(c) participant process killed right after PREPARE: the coordinator aborts, the restarted participant rolls back', async () => {
  const s = await setup();
  const rentalId = await seedRental(s.stores);
  let paymentsUp = true;
  const [, paymentsFinisher] = s.finishers;
  const unavailable = () => Promise.reject(new Error('payments is down'));
  // Payments as a remote participant: prepare is a call into another process.
  const remotePayments: TwoPhaseParticipant = {
    name: 'payments',
    async prepare(gid) {
      const exit = await runChild('crash-participant.ts', {
        PAYMENTS_URL: s.paymentsUrl,
        GID: gid,
        RENTAL_ID: rentalId,
      });
      if (exit.signal) paymentsUp = false;
      assert.equal(exit.signal, 'SIGKILL', exit.output);
      assert.match(exit.output, /"prepared"/);
      throw new Error(`payments process died (${exit.signal}) before answering prepare`);
    },
    commit: (gid, vote) => (paymentsUp ? paymentsFinisher!.commit(gid, vote) : unavailable()),
    rollback: (gid, vote) => (paymentsUp ? paymentsFinisher!.rollback(gid, vote) : unavailable()),
  };
  const coordinator = s.coordinator({ finishRetryMs: 200, prepareTimeoutMs: 60_000 });
  const result = await coordinator.run([
    localParticipant('rentals', s.stores.rentalsSql, completeRental(rentalId)),
    remotePayments,
  ]);
  assert.deepEqual([result.outcome, result.complete, result.pending], ['aborted', false, ['payments']]);
  assert.match(String(result.failures[0]?.error), /payments process died/);
  assert.deepEqual(
    await databasesOf(s),
    [paymentsDbName(s)],
    'only the dead participant still holds its prepared transaction',
  );
  assert.deepEqual(await logState(s), [['aborting', 'abort']]);
  assert.deepEqual(await settlementState(s.stores, rentalId), UNSETTLED);

  // Payments restarts: its orphan is resolved by asking the coordinator, then rentals' recovery closes the log.
  paymentsUp = true;
  const orphans = await resolveOrphans(
    s.stores.paymentsSql,
    gidPrefix(s.name, 'payments'),
    (gid) => coordinator.decisionFor(gid),
    0,
  );
  assert.deepEqual(orphans, {
    committed: [],
    rolledBack: [s.gidOf(result.transactionId, 'payments')],
    undecided: [],
    failed: [],
  });
  assert.deepEqual(await coordinator.recover({ olderThanMs: 0 }), {
    committed: [],
    aborted: [result.transactionId],
    pending: [],
  });
  assert.deepEqual(await settlementState(s.stores, rentalId), UNSETTLED);
  assert.deepEqual(await preparedOnCluster(s.serverUrl, s.prefix), []);
  assert.deepEqual(await logState(s), [['done', 'abort']]);
});
