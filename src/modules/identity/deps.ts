import type { Cache } from '../../shared/cache/cache.ts';
import type { Db } from '../../shared/db/database.ts';
import type { Publish } from '../../shared/events/publish.ts';
import type { TokenSettings } from './domain/tokens.ts';
import type { VerifiedTokens } from './domain/verified-tokens.ts';

/** What identity's handlers depend on, built once by module.ts. */
export interface IdentityDeps {
  db: Db;
  cache: Cache;
  tokens: TokenSettings;
  verifiedTokens: VerifiedTokens;
  publish: Publish;
  /** Failed logins of one account within 15 minutes before its logins pause (0: never). */
  loginFailuresPerAccount: number;
}
