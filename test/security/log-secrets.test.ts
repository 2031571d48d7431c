/**
 * Logs never contain passwords, password hashes, tokens, emails or SQL parameters: the
 * monolith runs on PostgreSQL with debug logs through a full flow (register, login, refresh,
 * list, top up, rent, read, change a password, bad logins until throttled, malformed and odd
 * input, bad tokens), then its whole output is searched for every secret the flow used.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import postgres from 'postgres';
import { bootRuntime, type BootedRuntime } from '../smoke/boot-runtime.ts';
import { apiClient } from '../support/api-client.ts';
import { testDeploymentEnv, testServers } from '../support/env.ts';
import { drill } from '../support/fixtures.ts';
import { createDatabase } from '../support/services.ts';

const ADMIN_EMAIL = `log-admin-${randomUUID().slice(0, 8)}@example.test`;
const ADMIN_PASSWORD = `admin pass ${randomUUID().slice(0, 8)}`;

let runtime: BootedRuntime;
let databaseUrl: string;

before(async () => {
  const { pgUrl, redisUrl } = testServers();
  databaseUrl = await createDatabase(pgUrl);
  runtime = await bootRuntime(process.execPath, ['--import', 'tsx', 'src/runtimes/monolith.ts'], {
    ...testDeploymentEnv(),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'debug',
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
  });
});
after(() => runtime?.stop('SIGKILL'));

test('a full flow leaves no password, hash, token or email in the logs', async () => {
  const api = apiClient(runtime.baseUrl);
  const secrets: string[] = [ADMIN_EMAIL, ADMIN_EMAIL.toLowerCase(), ADMIN_PASSWORD];
  const owner = await api.newUser('logowner');
  const renter = await api.newUser('logrenter');
  for (const user of [owner, renter]) secrets.push(user.email, user.password, user.accessToken, user.refreshToken);

  const refreshed = await api.request('POST', '/v1/auth/refresh', { body: { refreshToken: renter.refreshToken } });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  secrets.push(refreshed.body.accessToken, refreshed.body.refreshToken);
  const renterToken = refreshed.body.accessToken as string;

  const item = await api.request('POST', '/v1/items', {
    token: owner.accessToken,
    body: drill({ title: 'Log scan drill' }),
  });
  assert.equal(item.status, 201, JSON.stringify(item.body));
  assert.equal((await api.request('GET', '/v1/items?limit=5')).status, 200);
  const topUp = await api.request('POST', '/v1/wallet/top-ups', {
    token: renterToken,
    body: { amount: 50_000, currency: 'EUR' },
    headers: { 'idempotency-key': randomUUID() },
  });
  assert.ok(topUp.status < 300, JSON.stringify(topUp.body));
  const from = new Date(Date.now() + 2 * 86_400_000).toISOString();
  const to = new Date(Date.now() + 4 * 86_400_000).toISOString();
  const rental = await api.request('POST', '/v1/rentals', {
    token: renterToken,
    body: { itemId: item.body.id, from, to },
    headers: { 'idempotency-key': randomUUID() },
  });
  assert.ok(rental.status < 300, JSON.stringify(rental.body));
  assert.equal((await api.request('GET', `/v1/rentals/${rental.body.id}`, { token: renterToken })).status, 200);
  assert.equal((await api.request('GET', '/v1/wallet', { token: renterToken })).status, 200);

  // The owner changes their password; the old one and its sessions stop working.
  const newPassword = `brand new passphrase ${randomUUID().slice(0, 6)}`;
  secrets.push(newPassword);
  const changed = await api.request('PATCH', '/v1/users/me', {
    token: owner.accessToken,
    body: { password: newPassword, currentPassword: owner.password },
  });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));

  // Bad logins until the account is throttled, with a recognizable wrong password.
  const wrongPassword = `wrong password ${randomUUID().slice(0, 6)}`;
  secrets.push(wrongPassword);
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++)
    statuses.push(
      (await api.request('POST', '/v1/auth/login', { body: { email: renter.email, password: wrongPassword } })).status,
    );
  assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);

  // Errors: a duplicate email, malformed JSON, NUL bytes, a forged token, an unknown route.
  assert.equal(
    (
      await api.request('POST', '/v1/auth/register', {
        body: { email: renter.email, password: renter.password, displayName: 'Again' },
      })
    ).status,
    409,
  );
  assert.equal(
    (
      await api.request('POST', '/v1/auth/login', {
        raw: `{"email":"${renter.email}",`,
        headers: { 'content-type': 'application/json' },
      })
    ).status,
    400,
  );
  assert.equal(
    (
      await api.request('POST', '/v1/auth/login', {
        raw: `{"email":"${renter.email}","password":"${renter.password}\\u0000"}`,
        headers: { 'content-type': 'application/json' },
      })
    ).status,
    400,
  );
  const forged = `${renterToken.slice(0, -4)}AAAA`;
  assert.equal((await api.request('GET', '/v1/users/me', { token: forged })).status, 401);
  assert.equal((await api.request('GET', `/v1/nowhere?email=${encodeURIComponent(renter.email)}`)).status, 404);

  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const hashes = await sql<{ password_hash: string }[]>`select password_hash from identity.users`;
    assert.ok(hashes.length >= 3);
    secrets.push(...hashes.map((h) => h.password_hash), ...hashes.map((h) => h.password_hash.split('$').at(-1)!));
  } finally {
    await sql.end({ timeout: 5 });
  }

  // Let the asynchronous log destination flush, then search everything the process wrote.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const output = runtime.output();
  assert.ok(
    output.split('\n').filter((line) => line.startsWith('{')).length > 20,
    `too few log lines to judge:\n${output.slice(0, 2000)}`,
  );
  for (const secret of secrets) {
    const at = output.indexOf(secret);
    assert.equal(
      at,
      -1,
      `a secret appears in the logs: …${output.slice(Math.max(0, at - 200), at + secret.length + 50)}…`,
    );
  }
});
