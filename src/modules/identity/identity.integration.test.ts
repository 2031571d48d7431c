import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { startTestHost, type TestHost } from '../../../test/support/test-host.ts';
import type { Bus } from '../../shared/bus/bus.ts';
import { systemContext, type Caller } from '../../shared/bus/context.ts';
import { AppError } from '../../shared/bus/errors.ts';
import { identity } from './contract.ts';
import { identityModule } from './module.ts';
import { rentalsModule } from '../rentals/module.ts';

const ADMIN_EMAIL = 'Root.Admin@Example.test';
const ADMIN_PASSWORD = 'admin password 0123';
const PASSWORD = 'correct horse battery';

let host: TestHost;
let bus: Bus;
let sql: postgres.Sql;
let redis: Redis;
let admin: Caller;

const ctx = (caller?: Caller) => systemContext(caller ? { caller } : {});
const uniqueEmail = (prefix = 'user') => `${prefix}-${randomUUID().slice(0, 8)}@example.test`;

/** Asserts that a bus call fails with the given error code. */
async function rejectsWith(call: Promise<unknown>, code: string): Promise<AppError> {
  const error = await call.then(
    (value) => assert.fail(`expected ${code}, got ${JSON.stringify(value)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof AppError, `expected AppError ${code}, got ${String(error)}`);
  assert.equal(error.code, code, error.detail);
  return error;
}

async function register(email = uniqueEmail(), password = PASSWORD) {
  return bus.call(identity.ops.register, { email, password, displayName: 'Test User' }, ctx());
}

async function login(email: string, password = PASSWORD) {
  return bus.call(identity.ops.login, { email, password }, ctx());
}

async function validate(token: string) {
  return bus.call(identity.ops.validateToken, { token }, ctx());
}

/** A registered, logged-in member with its caller identity. */
async function member() {
  const email = uniqueEmail();
  const user = await register(email);
  const tokens = await login(email);
  const claims = await validate(tokens.accessToken);
  const caller: Caller = { userId: claims.userId, role: claims.role, sessionId: claims.sessionId };
  return { user, email, tokens, caller };
}

async function sessionRow(id: string) {
  const [row] = await sql<{ revoked_at: Date | null; revoked_reason: string | null }[]>`
    select revoked_at, revoked_reason from identity.sessions where id = ${id}`;
  return row;
}

before(async () => {
  // rentals answers deleteUser's question: does the user have an item out on rent?
  host = await startTestHost([identityModule, rentalsModule], { ADMIN_EMAIL, ADMIN_PASSWORD });
  bus = host.platform.bus;
  sql = postgres(host.databaseUrl, { max: 2, onnotice: () => {} });
  redis = new Redis(process.env.TEST_REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const tokens = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
  const claims = await validate(tokens.accessToken);
  admin = { userId: claims.userId, role: claims.role, sessionId: claims.sessionId };
});

after(async () => {
  redis?.disconnect();
  await sql?.end({ timeout: 5 });
  await host?.stop();
});

describe('register', () => {
  test('creates a member with a lower-cased email and a scrypt hash, never the password', async () => {
    const email = uniqueEmail('Mixed.Case').replace('example', 'EXAMPLE');
    const user = await register(email);
    assert.equal(user.email, email.toLowerCase());
    assert.equal(user.role, 'member');
    assert.equal(user.displayName, 'Test User');
    assert.ok(!('passwordHash' in user));
    const [row] = await sql<
      { email: string; password_hash: string }[]
    >`select email, password_hash from identity.users where id = ${user.id}`;
    assert.equal(row?.email, email.toLowerCase());
    assert.match(row!.password_hash, /^scrypt\$/);
    assert.ok(!row!.password_hash.includes(PASSWORD));
  });

  test('rejects invalid input with field errors', async () => {
    const error = await rejectsWith(
      bus.call(identity.ops.register, { email: 'not-an-email', password: 'short', displayName: '' }, ctx()),
      'validationFailed',
    );
    assert.equal(error.kind, 'invalid');
    assert.deepEqual(error.errors?.map((e) => e.path).sort(), ['displayName', 'email', 'password']);
    await rejectsWith(
      bus.call(
        identity.ops.register,
        { email: uniqueEmail(), password: PASSWORD, displayName: 'x', role: 'admin' } as never,
        ctx(),
      ),
      'validationFailed',
    );
  });

  test('emails are unique case-insensitively', async () => {
    const email = uniqueEmail('dup');
    await register(email);
    const error = await rejectsWith(register(email.toUpperCase()), 'identity.emailTaken');
    assert.equal(error.kind, 'conflict');
    await rejectsWith(register(email.replace('dup', 'DuP')), 'identity.emailTaken');
    const [row] = await sql<
      { n: number }[]
    >`select count(*)::int as n from identity.users where lower(email) = ${email}`;
    assert.equal(row?.n, 1);
  });

  test('10 concurrent registrations of the same email: exactly one succeeds', async () => {
    const email = uniqueEmail('race');
    const variants = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? email : email.toUpperCase()));
    const results = await Promise.allSettled(variants.map((v) => register(v)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 1);
    assert.equal(failed.length, 9);
    for (const f of failed) assert.equal((f.reason as AppError).code, 'identity.emailTaken');
    const [row] = await sql<
      { n: number }[]
    >`select count(*)::int as n from identity.users where lower(email) = ${email}`;
    assert.equal(row?.n, 1);
  });
});

describe('login and validateToken', () => {
  test('login issues tokens that validate to the user, role and a live session', async () => {
    const email = uniqueEmail();
    const user = await register(email);
    const tokens = await login(email.toUpperCase());
    assert.equal(tokens.tokenType, 'Bearer');
    assert.equal(tokens.expiresIn, 900);
    assert.notEqual(tokens.accessToken, tokens.refreshToken);
    const claims = await validate(tokens.accessToken);
    assert.equal(claims.userId, user.id);
    assert.equal(claims.role, 'member');
    const ttl = (Date.parse(claims.expiresAt) - Date.now()) / 1000;
    assert.ok(ttl > 850 && ttl <= 900, `expires in ${ttl}s`);
    const [session] = await sql<
      { user_id: string; revoked_at: Date | null }[]
    >`select user_id, revoked_at from identity.sessions where id = ${claims.sessionId}`;
    assert.equal(session?.user_id, user.id);
    assert.equal(session?.revoked_at, null);
  });

  test('refresh tokens are stored hashed, never in the clear', async () => {
    const { tokens, caller } = await member();
    const rows = await sql<
      { token_hash: string }[]
    >`select token_hash from identity.refresh_tokens where session_id = ${caller.sessionId!}`;
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0]!.token_hash, tokens.refreshToken);
  });

  test('each login opens its own session', async () => {
    const email = uniqueEmail();
    await register(email);
    const [a, b] = [await validate((await login(email)).accessToken), await validate((await login(email)).accessToken)];
    assert.notEqual(a.sessionId, b.sessionId);
  });

  test('a wrong password and an unknown email fail the same way', async () => {
    const email = uniqueEmail();
    await register(email);
    const wrong = await rejectsWith(login(email, 'not the password'), 'identity.invalidCredentials');
    const unknown = await rejectsWith(login(uniqueEmail('ghost')), 'identity.invalidCredentials');
    assert.equal(wrong.kind, 'unauthorized');
    assert.equal(wrong.detail, unknown.detail);
  });

  test('garbage and foreign tokens do not validate', async () => {
    await rejectsWith(validate('garbage'), 'identity.invalidToken');
    const { tokens } = await member();
    const [h, p] = tokens.accessToken.split('.');
    await rejectsWith(validate(`${h}.${p}.`), 'identity.invalidToken');
  });
});

describe('refresh', () => {
  test('rotates: new tokens, the old refresh token is spent', async () => {
    const { tokens, caller } = await member();
    const next = await bus.call(identity.ops.refresh, { refreshToken: tokens.refreshToken }, ctx());
    assert.notEqual(next.refreshToken, tokens.refreshToken);
    assert.equal(next.tokenType, 'Bearer');
    const claims = await validate(next.accessToken);
    assert.equal(claims.sessionId, caller.sessionId);
    assert.equal(claims.userId, caller.userId);
    const third = await bus.call(identity.ops.refresh, { refreshToken: next.refreshToken }, ctx());
    assert.equal((await validate(third.accessToken)).sessionId, caller.sessionId);
    const rows = await sql<{ used: boolean }[]>`
      select used_at is not null as used from identity.refresh_tokens where session_id = ${caller.sessionId!} order by created_at`;
    assert.deepEqual(
      rows.map((r) => r.used),
      [true, true, false],
    );
    await rejectsWith(
      bus.call(identity.ops.refresh, { refreshToken: next.refreshToken }, ctx()),
      'identity.invalidRefreshToken',
    );
  });

  test('an unknown refresh token is refused', async () => {
    await rejectsWith(
      bus.call(identity.ops.refresh, { refreshToken: 'not-a-real-token' }, ctx()),
      'identity.invalidRefreshToken',
    );
  });

  test('reuse of a rotated token revokes the whole family', async () => {
    const email = uniqueEmail();
    await register(email);
    const first = await login(email);
    const other = await login(email); // a second, independent session of the same user
    await validate(first.accessToken); // warm the session cache
    const second = await bus.call(identity.ops.refresh, { refreshToken: first.refreshToken }, ctx());
    const third = await bus.call(identity.ops.refresh, { refreshToken: second.refreshToken }, ctx());
    const sessionId = (await validate(third.accessToken)).sessionId;

    // The first token leaked and is replayed.
    await rejectsWith(
      bus.call(identity.ops.refresh, { refreshToken: first.refreshToken }, ctx()),
      'identity.invalidRefreshToken',
    );

    // The newest refresh token of the family is dead too, and so is every access token.
    await rejectsWith(
      bus.call(identity.ops.refresh, { refreshToken: third.refreshToken }, ctx()),
      'identity.invalidRefreshToken',
    );
    for (const token of [first.accessToken, second.accessToken, third.accessToken]) {
      await rejectsWith(validate(token), 'identity.invalidToken');
    }
    const row = await sessionRow(sessionId);
    assert.ok(row?.revoked_at instanceof Date);
    assert.equal(row?.revoked_reason, 'refresh token reused');

    // Other sessions of the same user are untouched.
    assert.notEqual((await validate(other.accessToken)).sessionId, sessionId);
    assert.ok(await bus.call(identity.ops.refresh, { refreshToken: other.refreshToken }, ctx()));
  });

  test('concurrent use of one refresh token yields tokens at most once', async () => {
    const { tokens } = await member();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => bus.call(identity.ops.refresh, { refreshToken: tokens.refreshToken }, ctx())),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    assert.equal(ok.length, 1);
    for (const r of results)
      if (r.status === 'rejected') assert.equal((r.reason as AppError).code, 'identity.invalidRefreshToken');
  });
});

describe('logout', () => {
  test('takes effect at once even though validation is cached', async () => {
    const { tokens, caller } = await member();
    await validate(tokens.accessToken); // warm the cache
    const cachedKeys = await redis.keys(`*${caller.sessionId}*`);
    assert.ok(cachedKeys.length > 0, 'validation did not populate the Redis cache');

    assert.deepEqual(await bus.call(identity.ops.logout, {}, ctx(caller)), {});

    await rejectsWith(validate(tokens.accessToken), 'identity.invalidToken');
    await rejectsWith(
      bus.call(identity.ops.refresh, { refreshToken: tokens.refreshToken }, ctx()),
      'identity.invalidRefreshToken',
    );
    const row = await sessionRow(caller.sessionId!);
    assert.ok(row?.revoked_at instanceof Date);
    assert.equal(row?.revoked_reason, 'logout');
  });

  test('is idempotent and leaves other sessions alone', async () => {
    const { email, tokens, caller } = await member();
    const other = await login(email);
    await bus.call(identity.ops.logout, {}, ctx(caller));
    assert.deepEqual(await bus.call(identity.ops.logout, {}, ctx(caller)), {});
    await rejectsWith(validate(tokens.accessToken), 'identity.invalidToken');
    assert.equal((await validate(other.accessToken)).userId, caller.userId);
  });

  test('needs a caller with a session', async () => {
    await rejectsWith(bus.call(identity.ops.logout, {}, ctx()), 'unauthorized');
  });
});

describe('roles and admin operations', () => {
  test('a role change is seen by validateToken without a new login', async () => {
    const { tokens, user } = await member();
    assert.equal((await validate(tokens.accessToken)).role, 'member'); // cached as member
    const promoted = await bus.call(identity.ops.updateUser, { id: user.id, role: 'admin' }, ctx(admin));
    assert.equal(promoted.role, 'admin');
    assert.equal((await validate(tokens.accessToken)).role, 'admin');
    await bus.call(identity.ops.updateUser, { id: user.id, role: 'member' }, ctx(admin));
    assert.equal((await validate(tokens.accessToken)).role, 'member');
    const [row] = await sql<{ role: string }[]>`select role from identity.users where id = ${user.id}`;
    assert.equal(row?.role, 'member');
  });

  test('members cannot use admin operations', async () => {
    const { caller, user } = await member();
    await rejectsWith(bus.call(identity.ops.listUsers, {}, ctx(caller)), 'identity.notAdmin');
    await rejectsWith(
      bus.call(identity.ops.updateUser, { id: user.id, role: 'admin' }, ctx(caller)),
      'identity.notAdmin',
    );
    await rejectsWith(bus.call(identity.ops.deleteUser, { id: admin.userId }, ctx(caller)), 'identity.notAdmin');
    const [row] = await sql<{ role: string }[]>`select role from identity.users where id = ${user.id}`;
    assert.equal(row?.role, 'member');
  });

  test('unknown user ids are not found', async () => {
    await rejectsWith(
      bus.call(identity.ops.updateUser, { id: randomUUID(), role: 'admin' }, ctx(admin)),
      'identity.userNotFound',
    );
    await rejectsWith(bus.call(identity.ops.deleteUser, { id: randomUUID() }, ctx(admin)), 'identity.userNotFound');
    await rejectsWith(bus.call(identity.ops.getPublicProfile, { id: randomUUID() }, ctx()), 'identity.userNotFound');
  });

  test('deleteUser removes the account and revokes its sessions at once', async () => {
    const { tokens, user, email } = await member();
    await validate(tokens.accessToken); // warm the cache
    assert.deepEqual(await bus.call(identity.ops.deleteUser, { id: user.id }, ctx(admin)), {});
    await rejectsWith(validate(tokens.accessToken), 'identity.invalidToken');
    await rejectsWith(
      bus.call(identity.ops.refresh, { refreshToken: tokens.refreshToken }, ctx()),
      'identity.invalidRefreshToken',
    );
    await rejectsWith(login(email), 'identity.invalidCredentials');
    const [users] = await sql<{ n: number }[]>`select count(*)::int as n from identity.users where id = ${user.id}`;
    const [sessions] = await sql<
      { n: number }[]
    >`select count(*)::int as n from identity.sessions where user_id = ${user.id}`;
    assert.equal(users?.n, 0);
    assert.equal(sessions?.n, 0);
    // The email is free again.
    assert.equal((await register(email)).email, email);
  });

  test('listUsers pages newest first with a total', async () => {
    const a = await register();
    const b = await register();
    const page = await bus.call(identity.ops.listUsers, { limit: 2, offset: 0 }, ctx(admin));
    assert.equal(page.limit, 2);
    assert.deepEqual(
      page.items.map((u) => u.id),
      [b.id, a.id],
    );
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from identity.users`;
    assert.equal(page.total, row?.n);
    assert.ok(page.items.every((u) => !('passwordHash' in u)));
  });
});

describe('ensureAdmin', () => {
  test('ADMIN_EMAIL at startup created an admin who can log in', async () => {
    const [row] = await sql<
      { id: string; email: string; role: string }[]
    >`select id, email, role from identity.users where id = ${admin.userId}`;
    assert.equal(row?.email, ADMIN_EMAIL.toLowerCase());
    assert.equal(row?.role, 'admin');
    assert.equal(admin.role, 'admin');
  });

  test('creates an admin, then is idempotent and keeps the password', async () => {
    const email = uniqueEmail('ops');
    const created = await bus.call(identity.ops.ensureAdmin, { email, password: 'first password 123' }, ctx());
    assert.equal(created.role, 'admin');
    assert.equal(created.displayName, 'Administrator');
    const again = await bus.call(
      identity.ops.ensureAdmin,
      { email: email.toUpperCase(), password: 'second password 123' },
      ctx(),
    );
    assert.equal(again.id, created.id);
    assert.equal(again.role, 'admin');
    assert.ok(await login(email, 'first password 123'));
    await rejectsWith(login(email, 'second password 123'), 'identity.invalidCredentials');
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from identity.users where email = ${email}`;
    assert.equal(row?.n, 1);
  });

  test('promotes an existing member, keeping its id and password', async () => {
    const email = uniqueEmail('promote');
    const user = await register(email);
    const tokens = await login(email);
    assert.equal((await validate(tokens.accessToken)).role, 'member'); // cached as member
    const promoted = await bus.call(
      identity.ops.ensureAdmin,
      { email: email.toUpperCase(), password: 'ignored password 123' },
      ctx(),
    );
    assert.equal(promoted.id, user.id);
    assert.equal(promoted.role, 'admin');
    assert.ok(await login(email, PASSWORD));
    assert.equal((await validate(tokens.accessToken)).role, 'admin');
  });
});

describe('me and profiles', () => {
  test('getMe returns the caller; updateMe changes the name', async () => {
    const { caller, user } = await member();
    assert.deepEqual(await bus.call(identity.ops.getMe, {}, ctx(caller)), user);
    const updated = await bus.call(identity.ops.updateMe, { displayName: '  New Name  ' }, ctx(caller));
    assert.equal(updated.displayName, 'New Name');
    assert.ok(Date.parse(updated.updatedAt) >= Date.parse(user.updatedAt));
    assert.deepEqual(await bus.call(identity.ops.getPublicProfile, { id: user.id }, ctx()), {
      id: user.id,
      displayName: 'New Name',
    });
  });

  test('changing the password needs the current one', async () => {
    const { caller, email } = await member();
    await rejectsWith(
      bus.call(identity.ops.updateMe, { password: 'a brand new password' }, ctx(caller)),
      'validationFailed',
    );
    await rejectsWith(
      bus.call(
        identity.ops.updateMe,
        { password: 'a brand new password', currentPassword: 'wrong password' },
        ctx(caller),
      ),
      'identity.wrongPassword',
    );
    assert.ok(await login(email, PASSWORD));
    await bus.call(identity.ops.updateMe, { password: 'a brand new password', currentPassword: PASSWORD }, ctx(caller));
    assert.ok(await login(email, 'a brand new password'));
    await rejectsWith(login(email, PASSWORD), 'identity.invalidCredentials');
  });

  test('changing the password revokes every other session, access and refresh, and keeps the current one', async () => {
    const { caller, email, tokens: current } = await member();
    const other = await login(email);
    const otherClaims = await validate(other.accessToken);
    await bus.call(
      identity.ops.updateMe,
      { password: 'another new passphrase', currentPassword: PASSWORD },
      ctx(caller),
    );
    await rejectsWith(validate(other.accessToken), 'identity.invalidToken');
    await rejectsWith(
      bus.call(identity.ops.refresh, { refreshToken: other.refreshToken }, ctx()),
      'identity.invalidRefreshToken',
    );
    assert.equal((await sessionRow(otherClaims.sessionId))?.revoked_reason, 'password changed');
    // The session that changed it goes on.
    assert.equal((await validate(current.accessToken)).sessionId, caller.sessionId);
    assert.ok(await bus.call(identity.ops.refresh, { refreshToken: current.refreshToken }, ctx()));
  });

  test('a weak new password is refused with 422 weakPassword and changes nothing', async () => {
    const { caller, email } = await member();
    const error = await rejectsWith(
      bus.call(identity.ops.updateMe, { password: 'aaaaabbbbb', currentPassword: PASSWORD }, ctx(caller)),
      'identity.weakPassword',
    );
    assert.equal(error.kind, 'unprocessable');
    assert.ok(await login(email, PASSWORD));
  });

  test('getMe without a caller is unauthorized', async () => {
    await rejectsWith(bus.call(identity.ops.getMe, {}, ctx()), 'unauthorized');
  });
});

describe('password strength and login throttling', () => {
  test('registering with a weak password is refused with 422 weakPassword', async () => {
    for (const password of ['1111111111', 'Password123', 'qwertyuiop']) {
      const error = await rejectsWith(register(uniqueEmail(), password), 'identity.weakPassword');
      assert.equal(error.kind, 'unprocessable');
    }
  });

  test('after five wrong passwords an account is paused (429, Retry-After), even for the right password; other accounts are not', async () => {
    const { email } = await member();
    const bystander = await member();
    for (let i = 0; i < 5; i++) await rejectsWith(login(email, `wrong password ${i}`), 'identity.invalidCredentials');
    const paused = await rejectsWith(login(email, PASSWORD), 'identity.tooManyLoginAttempts');
    assert.equal(paused.kind, 'rate_limited');
    assert.ok(paused.retryAfterSeconds! > 0 && paused.retryAfterSeconds! <= 900, String(paused.retryAfterSeconds));
    // Case and spaces do not make another account.
    await rejectsWith(login(`  ${email.toUpperCase()} `, PASSWORD), 'identity.tooManyLoginAttempts');
    assert.ok(await login(bystander.email));
  });

  test('unknown emails are throttled alike, and a successful login clears the count', async () => {
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < 5; i++) await rejectsWith(login(ghost, 'whatever password'), 'identity.invalidCredentials');
    await rejectsWith(login(ghost, 'whatever password'), 'identity.tooManyLoginAttempts');
    const { email } = await member();
    for (let i = 0; i < 4; i++) await rejectsWith(login(email, 'wrong password'), 'identity.invalidCredentials');
    assert.ok(await login(email));
    for (let i = 0; i < 4; i++) await rejectsWith(login(email, 'wrong password'), 'identity.invalidCredentials');
    assert.ok(await login(email));
  });
});
