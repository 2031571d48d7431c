import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

/** Settings for issuing and checking access tokens. */
export interface TokenSettings {
  secret: Uint8Array;
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

export interface AccessClaims {
  userId: string;
  role: 'member' | 'admin';
  sessionId: string;
  expiresAt: Date;
}

const ALGORITHM = 'HS256';

/** Signs an access token: HS256, with issuer, audience, subject, session id and expiry. */
export function signAccessToken(
  settings: TokenSettings,
  claims: { userId: string; role: string; sessionId: string },
): Promise<string> {
  return new SignJWT({ role: claims.role, sid: claims.sessionId })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(`${settings.accessTtlSeconds}s`)
    .sign(settings.secret);
}

/** Verifies an access token with the algorithm pinned; undefined when it is not valid. */
export async function verifyAccessToken(settings: TokenSettings, token: string): Promise<AccessClaims | undefined> {
  try {
    const { payload } = await jwtVerify(token, settings.secret, {
      algorithms: [ALGORITHM],
      issuer: settings.issuer,
      audience: settings.audience,
      requiredClaims: ['sub', 'exp', 'sid'],
    });
    const role = payload.role;
    if ((role !== 'member' && role !== 'admin') || typeof payload.sid !== 'string' || !payload.sub || !payload.exp)
      return undefined;
    return { userId: payload.sub, role, sessionId: payload.sid, expiresAt: new Date(payload.exp * 1000) };
  } catch {
    return undefined;
  }
}

/** A new opaque refresh token (256 random bits). */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/** How refresh tokens are stored: never in the clear. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
