import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { moduleDatabaseUrl, parseConfig } from './config.ts';
import { ConfigError } from './env-settings.ts';

const DEV_SECRET = 'shareloop-development-secret-change-me-0000';
const GOOD_SECRET = 'a-production-secret-that-is-long-enough-000';
/** Every other secret production requires, so a test isolates the one it is about. */
const OTHER_PRODUCTION_SECRETS = { INTERNAL_SERVICE_SECRET: 'an-internal-secret-that-is-long-enough-00' };

/** Asserts parseConfig rejects env with a one-line ConfigError naming `variable`. */
function assertRejects(env: Record<string, string>, variable: string) {
  assert.throws(
    () => parseConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.match(error.message, new RegExp(`\\b${variable}\\b`));
      assert.ok(!error.message.includes('\n'), `message spans several lines: ${JSON.stringify(error.message)}`);
      return true;
    },
  );
}

describe('parseConfig', () => {
  test('an empty environment gives the development defaults', () => {
    const config = parseConfig({});
    assert.equal(config.NODE_ENV, 'development');
    assert.equal(config.PORT, 3000);
    assert.equal(config.HOST, '0.0.0.0');
    assert.equal(config.DATABASE_URL, undefined);
    assert.equal(config.REDIS_URL, undefined);
    assert.equal(config.DATA_DIR, '.data');
    assert.equal(config.LOG_LEVEL, 'info');
    assert.equal(config.LOG_PRETTY, false);
    assert.equal(config.JWT_SECRET, DEV_SECRET);
    assert.equal(config.jwtSecretIsDefault, true);
    assert.equal(config.JWT_ISSUER, 'shareloop');
    assert.equal(config.JWT_AUDIENCE, 'shareloop-api');
    assert.equal(config.ACCESS_TOKEN_TTL_SECONDS, 900);
    assert.equal(config.REFRESH_TOKEN_TTL_SECONDS, 30 * 86_400);
    assert.deepEqual(config.CORS_ORIGINS, []);
    assert.equal(config.BODY_LIMIT_BYTES, 64 * 1024);
    assert.equal(config.REQUEST_TIMEOUT_MS, 10_000);
    assert.equal(config.DB_POOL_MAX, 20);
    assert.equal(config.ADMIN_EMAIL, undefined);
  });

  test('values are coerced and parsed', () => {
    const config = parseConfig({
      PORT: '8080',
      LOG_PRETTY: 'yes',
      CORS_ORIGINS: ' https://a.example , https://b.example,, ',
      DATABASE_URL: 'postgres://u:p@db:5432/shareloop',
      BODY_LIMIT_BYTES: '2048',
    });
    assert.equal(config.PORT, 8080);
    assert.equal(config.LOG_PRETTY, true);
    assert.deepEqual(config.CORS_ORIGINS, ['https://a.example', 'https://b.example']);
    assert.equal(config.DATABASE_URL, 'postgres://u:p@db:5432/shareloop');
    assert.equal(config.BODY_LIMIT_BYTES, 2048);
  });

  test('empty strings count as unset', () => {
    const config = parseConfig({ PORT: '', DATABASE_URL: '', JWT_SECRET: '' });
    assert.equal(config.PORT, 3000);
    assert.equal(config.DATABASE_URL, undefined);
    assert.equal(config.jwtSecretIsDefault, true);
  });

  test('a bad PORT is a one-line ConfigError naming PORT', () => {
    for (const PORT of ['abc', '70000', '-1', '80.5']) assertRejects({ PORT }, 'PORT');
  });

  test('other bad values name their variable', () => {
    assertRejects({ DATABASE_URL: 'not a url' }, 'DATABASE_URL');
    assertRejects({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
    assertRejects({ NODE_ENV: 'staging' }, 'NODE_ENV');
    assertRejects({ ADMIN_EMAIL: 'not-an-email' }, 'ADMIN_EMAIL');
    assertRejects({ ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD');
    assertRejects({ ACCESS_TOKEN_TTL_SECONDS: '5' }, 'ACCESS_TOKEN_TTL_SECONDS');
  });

  test('a short JWT_SECRET is refused without echoing it', () => {
    const secret = 'tooshort-secret-value';
    assertRejects({ JWT_SECRET: secret }, 'JWT_SECRET');
    try {
      parseConfig({ JWT_SECRET: secret });
    } catch (error) {
      assert.ok(!(error as Error).message.includes(secret));
    }
  });

  test('production without JWT_SECRET fails', () => {
    assertRejects({ NODE_ENV: 'production', ...OTHER_PRODUCTION_SECRETS }, 'JWT_SECRET');
  });

  test('production with a JWT_SECRET uses it', () => {
    const config = parseConfig({ NODE_ENV: 'production', JWT_SECRET: GOOD_SECRET, ...OTHER_PRODUCTION_SECRETS });
    assert.equal(config.JWT_SECRET, GOOD_SECRET);
    assert.equal(config.jwtSecretIsDefault, false);
  });
});

describe('moduleDatabaseUrl', () => {
  const config = parseConfig({ DATABASE_URL: 'postgres://shared/db' });

  test('a module-specific URL wins over DATABASE_URL', () => {
    assert.equal(
      moduleDatabaseUrl('identity', config, { IDENTITY_DATABASE_URL: 'postgres://own/db' }),
      'postgres://own/db',
    );
  });

  test('falls back to DATABASE_URL, and to nothing (embedded) without it', () => {
    assert.equal(moduleDatabaseUrl('identity', config, { IDENTITY_DATABASE_URL: '' }), 'postgres://shared/db');
    assert.equal(moduleDatabaseUrl('identity', parseConfig({}), {}), undefined);
  });
});
