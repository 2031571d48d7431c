import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import postgres from 'postgres';
import { systemContext } from '../../src/shared/bus/context.ts';
import type { AppError } from '../../src/shared/bus/errors.ts';
import { startTestHost, type TestHost } from '../support/test-host.ts';
import { probe, probeModule, probeSinkModule, probesink } from './probe-modules.ts';
import { eventually } from '../support/eventually.ts';

const MAX_ATTEMPTS = 4;
const admin = systemContext({ caller: { userId: '00000000-0000-4000-8000-000000000001', role: 'admin' } });
let host: TestHost;
let sql: postgres.Sql;

before(async () => {
  host = await startTestHost([probeModule, probeSinkModule], {
    EVENT_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    EVENT_RETRY_DELAY_MS: '20',
    OUTBOX_POLL_MS: '50',
  });
  sql = postgres(host.databaseUrl, { max: 2, onnotice: () => {} });
});
after(async () => {
  await sql.end();
  await host.stop();
});

test('a poison message is attempted exactly N times, dead-lettered, and a replay after the fix applies it once', async () => {
  const { bus } = host.platform;
  const { messageId } = await bus.call(probe.ops.ping, { n: 7, poison: true }, systemContext());
  await bus.call(probe.ops.ping, { n: 8 }, systemContext());

  const [letter] = await eventually('the dead letter', async () => {
    const rows = await sql`select id, message_id, attempts, error, consumer from probesink.dead_letters`;
    return rows.length > 0 ? rows : undefined;
  });
  assert.equal(letter!.message_id, messageId);
  assert.equal(letter!.attempts, MAX_ATTEMPTS);
  assert.equal(letter!.consumer, 'probesink.record');
  assert.match(letter!.error, /poison/);
  const [counter] = await sql`select last_value::int as attempts from probesink.poison_attempts`;
  assert.equal(counter!.attempts, MAX_ATTEMPTS, 'the handler ran exactly N times');
  // The healthy message behind it is applied, not held up for ever.
  const healthy = await eventually('the healthy message', async () => {
    const rows = await sql`select n from probesink.effects`;
    return rows.length > 0 ? rows : undefined;
  });
  assert.deepEqual(
    healthy.map((r) => r.n),
    [8],
  );

  const list = await bus.call(probesink.ops.listDeadLetters, { pending: 'true' }, admin);
  assert.deepEqual(
    list.items.map((i) => i.id),
    [letter!.id],
  );
  const shown = await bus.call(probesink.ops.getDeadLetter, { id: letter!.id }, admin);
  assert.equal(shown.messageId, messageId);

  // Replaying before the fix fails again and keeps the letter pending.
  await assert.rejects(
    bus.call(probesink.ops.replayDeadLetter, { id: letter!.id }, admin),
    (e: AppError) => e.code === 'probesink.replayFailed',
  );
  assert.equal((await bus.call(probesink.ops.listDeadLetters, { pending: 'true' }, admin)).items.length, 1);

  await sql`insert into probesink.fixes (n) values (7)`;
  const replayed = await bus.call(probesink.ops.replayDeadLetter, { id: letter!.id }, admin);
  assert.deepEqual(replayed, { id: letter!.id, outcome: 'applied' });
  const again = await bus.call(probesink.ops.replayDeadLetter, { id: letter!.id }, admin);
  assert.deepEqual(again, { id: letter!.id, outcome: 'duplicate' }, 'a replay is itself idempotent');
  const effects = await sql`select n from probesink.effects order by n`;
  assert.deepEqual(
    effects.map((r) => r.n),
    [7, 8],
  );
  assert.equal((await bus.call(probesink.ops.listDeadLetters, { pending: 'true' }, admin)).items.length, 0);
});

test('dead-letter admin ops refuse members', async () => {
  const member = systemContext({ caller: { userId: '00000000-0000-4000-8000-000000000002', role: 'member' } });
  await assert.rejects(
    host.platform.bus.call(probesink.ops.listDeadLetters, {}, member),
    (e: AppError) => e.code === 'probesink.notAdmin' && e.kind === 'forbidden',
  );
});
