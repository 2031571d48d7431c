import { z } from 'zod';
import { changeFeedInput, changeFeedOutput } from '../../shared/bus/change-feed.ts';
import { defineContract, event, op } from '../../shared/bus/contract.ts';

const email = z.email().max(254).describe('Unique, compared case-insensitively');
const password = z.string().min(10, 'must be at least 10 characters').max(128);
const displayName = z.string().trim().min(1).max(80);
const role = z.enum(['member', 'admin']);

/** A user as its owner and admins see it. */
export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  displayName: z.string(),
  role,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

/** What anyone may know about a user. */
export const publicProfileSchema = z.object({ id: z.uuid(), displayName: z.string() });

const tokensSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int().describe('Access token lifetime in seconds'),
  tokenType: z.literal('Bearer'),
});

const userId = z.object({ id: z.uuid() });

export const identity = defineContract({
  name: 'identity',
  version: 1,
  minor: 1,
  errors: {
    emailTaken: 'conflict',
    invalidCredentials: 'unauthorized',
    invalidToken: 'unauthorized',
    invalidRefreshToken: 'unauthorized',
    notAdmin: 'forbidden',
    userNotFound: 'not_found',
    wrongPassword: 'invalid',
    weakPassword: 'unprocessable',
    tooManyLoginAttempts: 'rate_limited',
    activeRentals: 'conflict',
  },
  ops: {
    // Opens an account for a new member (the password must pass the documented strength rule).
    register: op({
      kind: 'command',
      summary: 'Register a new member',
      input: z.strictObject({ email, password, displayName }),
      output: userSchema,
      errors: ['emailTaken', 'weakPassword'],
      http: { method: 'post', path: '/v1/auth/register', status: 201, auth: 'none', tag: 'Auth' },
    }),
    // Exchanges credentials for an access token and a refresh token (a new session).
    login: op({
      kind: 'command',
      summary: 'Log in with email and password',
      input: z.strictObject({ email: z.string().max(254), password: z.string().max(128) }),
      output: tokensSchema,
      errors: ['invalidCredentials', 'tooManyLoginAttempts'],
      http: { method: 'post', path: '/v1/auth/login', status: 200, auth: 'none', tag: 'Auth' },
    }),
    // Rotates a refresh token; presenting a rotated one revokes the whole session.
    refresh: op({
      kind: 'command',
      summary: 'Rotate a refresh token for new tokens',
      input: z.strictObject({ refreshToken: z.string().min(1).max(512) }),
      output: tokensSchema,
      errors: ['invalidRefreshToken'],
      http: { method: 'post', path: '/v1/auth/refresh', status: 200, auth: 'none', tag: 'Auth' },
    }),
    // Ends the caller's session: its refresh and access tokens stop working at once.
    logout: op({
      kind: 'command',
      summary: 'Log out (revoke the current session)',
      input: z.strictObject({}),
      output: z.object({}),
      idempotent: true,
      http: { method: 'post', path: '/v1/auth/logout', status: 204, auth: 'required', tag: 'Auth' },
    }),
    // Resolves an access token to its caller; every module and the gateway rely on it.
    validateToken: op({
      kind: 'query',
      summary: 'Validate an access token',
      input: z.strictObject({ token: z.string().min(1).max(4096) }),
      output: z.object({ userId: z.uuid(), role, sessionId: z.uuid(), expiresAt: z.iso.datetime() }),
      errors: ['invalidToken'],
      http: { method: 'post', path: '/v1/auth/validate', status: 200, auth: 'none', tag: 'Auth' },
    }),
    // The caller's own account.
    getMe: op({
      kind: 'query',
      summary: 'Get my account',
      input: z.strictObject({}),
      output: userSchema,
      errors: ['userNotFound'],
      http: { method: 'get', path: '/v1/users/me', status: 200, auth: 'required', tag: 'Users' },
    }),
    // Changes the caller's display name or password; a new password ends every other session.
    updateMe: op({
      kind: 'command',
      summary: 'Update my account',
      input: z
        .strictObject({
          displayName: displayName.optional(),
          password: password.optional(),
          currentPassword: z.string().max(128).optional(),
        })
        .refine((v) => v.password === undefined || v.currentPassword !== undefined, {
          message: 'currentPassword is required to change the password',
          path: ['currentPassword'],
        }),
      output: userSchema,
      errors: ['userNotFound', 'wrongPassword', 'weakPassword'],
      idempotent: true,
      http: { method: 'patch', path: '/v1/users/me', status: 200, auth: 'required', tag: 'Users' },
    }),
    // Admin: lists accounts, newest first.
    listUsers: op({
      kind: 'query',
      summary: 'List users (admin)',
      input: z.strictObject({
        limit: z.coerce.number().int().min(1).max(100).default(20),
        offset: z.coerce.number().int().min(0).max(100_000).default(0),
      }),
      output: z.object({
        items: z.array(userSchema),
        total: z.number().int(),
        limit: z.number().int(),
        offset: z.number().int(),
      }),
      errors: ['notAdmin'],
      http: {
        method: 'get',
        path: '/v1/users',
        status: 200,
        auth: 'required',
        tag: 'Users',
        query: ['limit', 'offset'],
      },
    }),
    // Admin: changes a user's role.
    updateUser: op({
      kind: 'command',
      summary: "Change a user's role (admin)",
      input: z.strictObject({ id: z.uuid(), role }),
      output: userSchema,
      errors: ['notAdmin', 'userNotFound'],
      idempotent: true,
      http: { method: 'patch', path: '/v1/users/{id}', status: 200, auth: 'required', tag: 'Users', params: ['id'] },
    }),
    // Admin: deletes an account and revokes its sessions; refused while the user has an item out on rent or in hand.
    deleteUser: op({
      kind: 'command',
      summary: 'Delete a user (admin)',
      input: userId,
      output: z.object({}),
      errors: ['notAdmin', 'userNotFound', 'activeRentals'],
      idempotent: true,
      http: {
        method: 'delete',
        path: '/v1/users/{id}',
        status: 204,
        auth: 'required',
        tag: 'Users',
        params: ['id'],
        description:
          "Refused with 409 identity.activeRentals while the user is renter or owner of a rental that was handed over and not yet returned: return it first. Once deleted, the user's items are retired and their rentals not handed over yet are cancelled with a full refund.",
      },
    }),
    // A user's public profile, for composing responses in other modules.
    getPublicProfile: op({
      kind: 'query',
      internal: true,
      summary: "Get a user's public profile",
      input: userId,
      output: publicProfileSchema,
      errors: ['userNotFound'],
    }),
    // Creates the first admin, or promotes an existing account (operators only).
    ensureAdmin: op({
      kind: 'command',
      internal: true,
      summary: 'Create or promote an admin account',
      input: z.strictObject({ email, password, displayName: displayName.default('Administrator') }),
      output: userSchema,
      idempotent: true,
    }),
    // System callers (the warehouse ETL): users changed in a window, a page at a time in change order; no personal data.
    exportUsers: op({
      kind: 'query',
      internal: true,
      // A page of up to 5,000 rows: more than one hop's default timeout under load.
      timeoutMs: 30_000,
      summary: 'Users changed in a window (system)',
      input: changeFeedInput,
      output: changeFeedOutput(z.object({ id: z.uuid(), role: z.string(), registeredAt: z.iso.datetime() })),
    }),
  },
  events: {
    // Someone opened an account.
    userRegistered: event({
      summary: 'A user registered',
      version: 1,
      payload: z.object({ userId: z.uuid(), displayName: z.string() }),
    }),
    // A user's public profile changed.
    userProfileChanged: event({
      summary: "A user's public profile changed",
      version: 1,
      payload: z.object({ userId: z.uuid(), displayName: z.string() }),
    }),
    // An account was deleted by an admin; v2 says when (v1 messages are upcast from their envelope's time).
    userDeleted: event({
      summary: 'A user was deleted',
      version: 2,
      payload: z.object({ userId: z.uuid(), deletedAt: z.iso.datetime() }),
      upcasters: { 1: (v1: { userId: string }, envelope) => ({ ...v1, deletedAt: envelope.occurredAt }) },
    }),
  },
});
