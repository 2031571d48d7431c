import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { AccessClaims } from './tokens.ts';
import { VerifiedTokens } from './verified-tokens.ts';

const claimsUntil = (expiresAtMs: number): AccessClaims => ({
  userId: randomUUID(),
  role: 'member',
  sessionId: randomUUID(),
  expiresAt: new Date(expiresAtMs),
});

describe('VerifiedTokens', () => {
  test('gives back the claims of a remembered token until it expires, then forgets it', () => {
    const tokens = new VerifiedTokens();
    const claims = claimsUntil(10_000);
    tokens.remember('a', claims);
    assert.equal(tokens.get('a', 9_999), claims);
    assert.equal(tokens.get('a', 10_000), undefined);
    assert.equal(tokens.size, 0);
    assert.equal(tokens.get('unknown', 0), undefined);
  });

  test('holds at most maxEntries, dropping the least recently used', () => {
    const tokens = new VerifiedTokens(2);
    tokens.remember('a', claimsUntil(10_000));
    tokens.remember('b', claimsUntil(10_000));
    assert.ok(tokens.get('a', 0));
    tokens.remember('c', claimsUntil(10_000));
    assert.equal(tokens.size, 2);
    assert.equal(tokens.get('b', 0), undefined);
    assert.ok(tokens.get('a', 0));
    assert.ok(tokens.get('c', 0));
  });
});
