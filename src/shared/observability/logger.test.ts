import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import postgres from 'postgres';
import { testServers } from '../../../test/support/env.ts';
import { createLogger } from './logger.ts';

/** A logger whose lines are kept in memory. */
function capturingLogger() {
  const lines: string[] = [];
  const log = createLogger({
    level: 'trace',
    pretty: false,
    name: 'logger-test',
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { log, text: () => lines.join('') };
}

test('a postgres.js error is logged without its statement, parameters or detail', async () => {
  const secret = `secret-${randomUUID()}@example.test`;
  const sql = postgres(testServers().pgUrl, { max: 1, onnotice: () => {} });
  const table = `t_${randomUUID().replaceAll('-', '')}`;
  let error: unknown;
  try {
    await sql`create temporary table ${sql(table)} (email text primary key)`;
    await sql`insert into ${sql(table)} values (${secret})`;
    error = await sql`insert into ${sql(table)} values (${secret})`.then(
      () => undefined,
      (e: unknown) => e,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
  // The raw error does carry the secret: this is what must not reach the logs.
  assert.match(JSON.stringify({ ...(error as object) }), new RegExp(secret));
  const { log, text } = capturingLogger();
  log.error({ err: error }, 'unhandled error');
  log.error({ err: new Error('wrapped', { cause: error }) }, 'wrapped error');
  const output = text();
  assert.match(output, /23505/, 'the error code stays for diagnosis');
  assert.doesNotMatch(output, new RegExp(secret));
  assert.doesNotMatch(output, /insert into/i);
});

test('passwords, tokens, emails and authorization headers are removed from log objects', () => {
  const { log, text } = capturingLogger();
  log.info(
    {
      password: 'hunter2-hunter2',
      input: { email: 'ann@example.test', refreshToken: 'r-token-123', currentPassword: 'old-pass-99' },
      headers: { authorization: 'Bearer abc.def.ghi' },
      passwordHash: 'scrypt$1$2',
    },
    'login',
  );
  const output = text();
  for (const secret of [
    'hunter2-hunter2',
    'ann@example.test',
    'r-token-123',
    'old-pass-99',
    'abc.def.ghi',
    'scrypt$1$2',
  ])
    assert.ok(!output.includes(secret), `${secret} leaked: ${output}`);
  assert.match(output, /"msg":"login"/);
});
