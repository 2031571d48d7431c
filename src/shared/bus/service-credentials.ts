import { SignJWT, jwtVerify } from 'jose';

const AUDIENCE = 'shareloop-internal';
const ALGORITHM = 'HS256';
/** Bounds the cache of verified tokens (a few per calling process are live at once). */
const MAX_VERIFIED = 1024;

/** Short-lived service-to-service tokens, signed with a key every process of a deployment shares. */
export interface ServiceCredentials {
  /** A valid token for outgoing internal calls (cached, renewed before it expires). */
  token(): Promise<string>;
  /** Whether an incoming internal call carries a valid credential. */
  verify(token: string | undefined): Promise<boolean>;
}

export function serviceCredentials(options: {
  secret: string;
  service: string;
  ttlSeconds?: number;
}): ServiceCredentials {
  const key = new TextEncoder().encode(options.secret);
  const ttl = options.ttlSeconds ?? 60;
  let current: { token: Promise<string>; renewAt: number } | undefined;
  const verified = new Map<string, number>();
  return {
    token() {
      if (!current || Date.now() >= current.renewAt) {
        const token = new SignJWT({})
          .setProtectedHeader({ alg: ALGORITHM })
          .setIssuer(options.service)
          .setAudience(AUDIENCE)
          .setIssuedAt()
          .setExpirationTime(`${ttl}s`)
          .sign(key);
        current = { token, renewAt: Date.now() + (ttl * 1000) / 2 };
      }
      return current.token;
    },
    async verify(token) {
      if (!token) return false;
      // Callers reuse a token for half its life: verifying once per token saves ~100 µs a call.
      const knownUntil = verified.get(token);
      if (knownUntil !== undefined && knownUntil > Date.now()) return true;
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          audience: AUDIENCE,
          requiredClaims: ['exp', 'iss'],
        });
        if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
        verified.set(token, payload.exp! * 1000);
        return true;
      } catch {
        return false;
      }
    },
  };
}
