import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { SignJWT, generateKeyPair, type JWTPayload } from 'jose';
import { hashRefreshToken, newRefreshToken, signAccessToken, verifyAccessToken, type TokenSettings } from './tokens.ts';

const settings: TokenSettings = {
  secret: new TextEncoder().encode('unit-test-secret-of-at-least-32-characters!'),
  issuer: 'shareloop',
  audience: 'shareloop-api',
  accessTtlSeconds: 900,
  refreshTtlSeconds: 86_400,
};

const claims = { userId: randomUUID(), role: 'member', sessionId: randomUUID() };
const now = () => Math.floor(Date.now() / 1000);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;

/** A token with every claim our tokens carry, signed however the test asks. */
function forged(overrides: JWTPayload = {}) {
  return new SignJWT({ role: claims.role, sid: claims.sessionId, ...overrides })
    .setSubject(claims.userId)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(now() + 600);
}

describe('access tokens', () => {
  test('sign then verify round-trips the claims', async () => {
    const token = await signAccessToken(settings, claims);
    const verified = await verifyAccessToken(settings, token);
    assert.ok(verified);
    assert.equal(verified.userId, claims.userId);
    assert.equal(verified.role, 'member');
    assert.equal(verified.sessionId, claims.sessionId);
    const ttl = (verified.expiresAt.getTime() - Date.now()) / 1000;
    assert.ok(ttl > 890 && ttl <= 900, `expiry ${ttl}s from now`);
  });

  test('the token is HS256 with issuer, audience, subject and session id', async () => {
    const [header, payload] = (await signAccessToken(settings, { ...claims, role: 'admin' })).split('.');
    assert.deepEqual(decode(header!), { alg: 'HS256', typ: 'JWT' });
    const body = decode(payload!);
    assert.equal(body.iss, 'shareloop');
    assert.equal(body.aud, 'shareloop-api');
    assert.equal(body.sub, claims.userId);
    assert.equal(body.sid, claims.sessionId);
    assert.equal(body.role, 'admin');
    assert.equal((body.exp as number) - (body.iat as number), 900);
  });

  test('a token forged with the same key and claims is accepted (control for the rejections below)', async () => {
    assert.ok(
      await verifyAccessToken(settings, await forged().setProtectedHeader({ alg: 'HS256' }).sign(settings.secret)),
    );
  });

  test('a tampered payload is rejected', async () => {
    const [header, payload, signature] = (await signAccessToken(settings, claims)).split('.');
    const promoted = b64({ ...decode(payload!), role: 'admin' });
    assert.equal(await verifyAccessToken(settings, `${header}.${promoted}.${signature}`), undefined);
  });

  test('a tampered signature is rejected', async () => {
    const [header, payload, signature] = (await signAccessToken(settings, claims)).split('.');
    const flipped = (signature![0] === 'A' ? 'B' : 'A') + signature!.slice(1);
    assert.equal(await verifyAccessToken(settings, `${header}.${payload}.${flipped}`), undefined);
  });

  test('a token signed with another secret is rejected', async () => {
    const other = { ...settings, secret: new TextEncoder().encode('another-secret-of-at-least-32-characters!!') };
    assert.equal(await verifyAccessToken(settings, await signAccessToken(other, claims)), undefined);
  });

  test('a token of another issuer or audience is rejected', async () => {
    assert.equal(
      await verifyAccessToken(settings, await signAccessToken({ ...settings, issuer: 'evil' }, claims)),
      undefined,
    );
    assert.equal(
      await verifyAccessToken(settings, await signAccessToken({ ...settings, audience: 'other-api' }, claims)),
      undefined,
    );
  });

  test('an expired token is rejected', async () => {
    const expired = await forged()
      .setIssuedAt(now() - 3600)
      .setExpirationTime(now() - 60)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(settings.secret);
    assert.equal(await verifyAccessToken(settings, expired), undefined);
  });

  test('an unsigned `alg: none` token is rejected', async () => {
    const [, payload] = (await signAccessToken(settings, claims)).split('.');
    for (const alg of ['none', 'None', 'NONE']) {
      const header = b64({ alg, typ: 'JWT' });
      assert.equal(await verifyAccessToken(settings, `${header}.${payload}.`), undefined, alg);
      assert.equal(await verifyAccessToken(settings, `${header}.${payload}`), undefined, alg);
    }
  });

  test('an HS512 token signed with the right secret is rejected (algorithm pinned)', async () => {
    const hs512 = await forged().setProtectedHeader({ alg: 'HS512' }).sign(settings.secret);
    assert.equal(decode(hs512.split('.')[0]!).alg, 'HS512');
    assert.equal(await verifyAccessToken(settings, hs512), undefined);
  });

  test('an RS256 token is rejected', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const rs256 = await forged().setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    assert.equal(await verifyAccessToken(settings, rs256), undefined);
  });

  test('a token missing the session id, subject or expiry, or with an unknown role, is rejected', async () => {
    const sign = (builder: SignJWT) => builder.setProtectedHeader({ alg: 'HS256' }).sign(settings.secret);
    const noSid = new SignJWT({ role: 'member' })
      .setSubject(claims.userId)
      .setIssuer('shareloop')
      .setAudience('shareloop-api')
      .setExpirationTime('5m');
    const noSub = new SignJWT({ role: 'member', sid: claims.sessionId })
      .setIssuer('shareloop')
      .setAudience('shareloop-api')
      .setExpirationTime('5m');
    const noExp = new SignJWT({ role: 'member', sid: claims.sessionId })
      .setSubject(claims.userId)
      .setIssuer('shareloop')
      .setAudience('shareloop-api');
    assert.equal(await verifyAccessToken(settings, await sign(noSid)), undefined);
    assert.equal(await verifyAccessToken(settings, await sign(noSub)), undefined);
    assert.equal(await verifyAccessToken(settings, await sign(noExp)), undefined);
    assert.equal(await verifyAccessToken(settings, await sign(forged({ role: 'superuser' }))), undefined);
    assert.equal(await verifyAccessToken(settings, await sign(forged({ sid: 42 }))), undefined);
  });

  test('garbage is rejected without throwing', async () => {
    for (const token of ['', 'garbage', 'a.b.c', '...', 'eyJhbGciOiJIUzI1NiJ9..']) {
      assert.equal(await verifyAccessToken(settings, token), undefined, token);
    }
  });
});

describe('refresh tokens', () => {
  test('are 256-bit random, url-safe and distinct', () => {
    const tokens = new Set(Array.from({ length: 100 }, newRefreshToken));
    assert.equal(tokens.size, 100);
    for (const token of tokens) {
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(token, 'base64url').length, 32);
    }
  });

  test('are stored as a deterministic hash that differs from the token', () => {
    const token = newRefreshToken();
    assert.equal(hashRefreshToken(token), hashRefreshToken(token));
    assert.notEqual(hashRefreshToken(token), token);
    assert.notEqual(hashRefreshToken(token), hashRefreshToken(newRefreshToken()));
    assert.equal(Buffer.from(hashRefreshToken(token), 'base64url').length, 32);
  });
});
