import type { AccessClaims } from './tokens.ts';

/**
 * Access tokens whose signature and claims were already verified, with their claims, until
 * they expire: checking an HS256 signature again costs more than the rest of a request's
 * authentication. Only the token's own checks are remembered; whether its session is still
 * live is asked every time. Bounded: past maxEntries the least recently used goes first.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, AccessClaims>();

  constructor(private readonly maxEntries = 10_000) {}

  /** The claims of a token verified before and not expired at nowMs. */
  get(token: string, nowMs = Date.now()): AccessClaims | undefined {
    const claims = this.entries.get(token);
    if (!claims) return undefined;
    this.entries.delete(token);
    if (claims.expiresAt.getTime() <= nowMs) return undefined;
    this.entries.set(token, claims);
    return claims;
  }

  remember(token: string, claims: AccessClaims): void {
    this.entries.delete(token);
    this.entries.set(token, claims);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
