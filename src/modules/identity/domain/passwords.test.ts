import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.ts';

const PASSWORD = 'correct horse battery staple';

/** Replaces one field of `scrypt$N$r$p$salt$hash`. */
function withField(stored: string, index: number, value: string): string {
  const parts = stored.split('$');
  parts[index] = value;
  return parts.join('$');
}

/** Flips the first character of a base64url string to a different one. */
function flipFirst(value: string): string {
  return (value[0] === 'A' ? 'B' : 'A') + value.slice(1);
}

describe('passwords', () => {
  test('a hash has the scrypt format and never contains the password', async () => {
    const stored = await hashPassword(PASSWORD);
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    assert.equal(scheme, 'scrypt');
    assert.deepEqual([Number(n), Number(r), Number(p)], [16384, 8, 1]);
    assert.equal(Buffer.from(salt!, 'base64url').length, 16);
    assert.equal(Buffer.from(hash!, 'base64url').length, 64);
    assert.ok(!stored.includes(PASSWORD));
  });

  test('the right password verifies', async () => {
    assert.equal(await verifyPassword(PASSWORD, await hashPassword(PASSWORD)), true);
  });

  test('a wrong password, a near miss and an empty password are refused', async () => {
    const stored = await hashPassword(PASSWORD);
    assert.equal(await verifyPassword('wrong password entirely', stored), false);
    assert.equal(await verifyPassword(`${PASSWORD}x`, stored), false);
    assert.equal(await verifyPassword(PASSWORD.toUpperCase(), stored), false);
    assert.equal(await verifyPassword('', stored), false);
  });

  test('the same password hashes differently each time (distinct salts)', async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    assert.notEqual(a, b);
    assert.notEqual(a.split('$')[4], b.split('$')[4]);
    assert.equal(await verifyPassword(PASSWORD, a), true);
    assert.equal(await verifyPassword(PASSWORD, b), true);
  });

  test('a tampered hash or salt refuses even the right password', async () => {
    const stored = await hashPassword(PASSWORD);
    assert.equal(await verifyPassword(PASSWORD, withField(stored, 5, flipFirst(stored.split('$')[5]!))), false);
    assert.equal(await verifyPassword(PASSWORD, withField(stored, 4, flipFirst(stored.split('$')[4]!))), false);
    // A truncated hash must not compare equal to a prefix of the derived key.
    assert.equal(await verifyPassword(PASSWORD, withField(stored, 5, stored.split('$')[5]!.slice(0, 43))), false);
    // Different cost parameters derive a different key.
    assert.equal(await verifyPassword(PASSWORD, withField(stored, 2, '4')), false);
  });

  test('malformed stored values are refused, never thrown', async () => {
    const stored = await hashPassword(PASSWORD);
    const malformed = [
      '',
      'garbage',
      PASSWORD,
      withField(stored, 0, 'bcrypt'),
      withField(stored, 4, ''),
      withField(stored, 5, ''),
      withField(stored, 1, 'not-a-number'),
      withField(stored, 1, '1000'), // N must be a power of two
      withField(stored, 1, String(2 ** 30)), // beyond the memory limit
    ];
    for (const value of malformed) {
      assert.equal(
        await verifyPassword(PASSWORD, value),
        false,
        `accepted or threw on ${JSON.stringify(value.slice(0, 40))}`,
      );
    }
  });

  test('the dummy hash used for unknown accounts matches no password', async () => {
    assert.equal(await verifyPassword(PASSWORD, DUMMY_HASH), false);
    assert.equal(await verifyPassword('', DUMMY_HASH), false);
  });

  test('passwords are compared after Unicode normalisation', async () => {
    const composed = 'caf\u00e9 au lait 1234';
    const decomposed = 'cafe\u0301 au lait 1234';
    assert.equal(await verifyPassword(decomposed, await hashPassword(composed)), true);
  });
});
