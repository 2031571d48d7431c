import { fileURLToPath } from 'node:url';
import { systemContext } from '../../shared/bus/context.ts';
import { defineModule } from '../../shared/modules/define-module.ts';
import { createPublisher } from '../../shared/events/publish.ts';
import { identity } from './contract.ts';
import { identityEvents } from './db/schema.ts';
import type { IdentityDeps } from './deps.ts';
import { VerifiedTokens } from './domain/verified-tokens.ts';
import { deleteUser } from './handlers/delete-user.ts';
import { ensureAdmin } from './handlers/ensure-admin.ts';
import { getMe } from './handlers/get-me.ts';
import { getPublicProfile } from './handlers/get-public-profile.ts';
import { listUsers } from './handlers/list-users.ts';
import { login } from './handlers/login.ts';
import { logout } from './handlers/logout.ts';
import { refresh } from './handlers/refresh.ts';
import { register } from './handlers/register.ts';
import { updateMe } from './handlers/update-me.ts';
import { updateUser } from './handlers/update-user.ts';
import { validateToken } from './handlers/validate-token.ts';
import { exportUsers } from './handlers/export-users.ts';

/** Accounts, sessions and tokens. */
export const identityModule = defineModule<typeof identity, IdentityDeps>({
  contract: identity,
  migrations: fileURLToPath(new URL('../../../migrations/identity', import.meta.url)),
  async setup(platform) {
    const { config } = platform;
    if (config.jwtSecretIsDefault)
      platform.log.warn('JWT_SECRET is not set: using the development secret (never do this in production)');
    return {
      db: (await platform.database('identity')).db,
      publish: createPublisher(identityEvents.outbox, 'identity'),
      cache: platform.cache,
      tokens: {
        secret: new TextEncoder().encode(config.JWT_SECRET),
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
        refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
      },
      verifiedTokens: new VerifiedTokens(),
      loginFailuresPerAccount: config.LOGIN_FAILURES_PER_ACCOUNT,
    };
  },
  events: identityEvents,
  handlers: {
    register,
    login,
    refresh,
    logout,
    validateToken,
    getMe,
    updateMe,
    listUsers,
    updateUser,
    deleteUser,
    getPublicProfile,
    ensureAdmin,
    exportUsers,
  },
  async start(_deps, platform) {
    const { ADMIN_EMAIL, ADMIN_PASSWORD } = platform.config;
    if (ADMIN_EMAIL && ADMIN_PASSWORD) {
      await platform.bus.call(
        identity.ops.ensureAdmin,
        { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
        systemContext(),
      );
      platform.log.info('admin account ensured from ADMIN_EMAIL');
    }
  },
});
