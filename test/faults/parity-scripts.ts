/**
 * The same sequence of bus calls per contract, run against any Bus: in-process handlers or
 * the HTTP transport. Each step records its outcome (output, or typed error) and the error
 * code the contract says it must give; outcomes are normalized (ids, times, tokens) so two
 * runs on two databases compare equal when, and only when, they behave the same.
 */
import { identity } from '../../src/modules/identity/contract.ts';
import { inventory } from '../../src/modules/inventory/contract.ts';
import type { Bus } from '../../src/shared/bus/bus.ts';
import type { Caller } from '../../src/shared/bus/context.ts';
import { systemContext } from '../../src/shared/bus/context.ts';
import type { Op } from '../../src/shared/bus/contract.ts';
import { AppError } from '../../src/shared/bus/errors.ts';
import { drill } from '../support/fixtures.ts';

/** What one step gave: its output, or the error it threw. */
export interface Outcome {
  step: string;
  /** 'ok' or the error code the contract promises for this step. */
  expected: string;
  output?: unknown;
  error?: {
    isAppError: boolean;
    name: string;
    code: string;
    kind: string;
    detail: string;
    errors?: unknown;
    retryAfterSeconds?: number;
  };
}

/** Values that differ between two runs on two databases but mean the same. */
export function normalize(value: unknown, ids = new Map<string, string>()): unknown {
  if (typeof value === 'string') {
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value)) return '<time>';
    return value.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, (id) => {
      if (!ids.has(id)) ids.set(id, `<id${ids.size + 1}>`);
      return ids.get(id)!;
    });
  }
  if (Array.isArray(value)) return value.map((v) => normalize(v, ids));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        ['token', 'accessToken', 'refreshToken'].includes(k) && typeof v === 'string' ? '<token>' : normalize(v, ids),
      ]),
    );
  }
  return value;
}

class Script {
  readonly outcomes: Outcome[] = [];
  constructor(private readonly bus: Bus) {}

  /** Runs one call; returns its output (undefined when it threw). */
  async call<O extends Op>(
    step: string,
    op: O,
    input: unknown,
    caller: Caller | undefined,
    expected: string,
  ): Promise<any> {
    try {
      const output = await this.bus.call(op, input as never, systemContext(caller ? { caller } : {}));
      this.outcomes.push({ step, expected, output });
      return output;
    } catch (error) {
      const e = error as AppError;
      this.outcomes.push({
        step,
        expected,
        error: {
          isAppError: error instanceof AppError,
          name: e.name,
          code: e.code,
          kind: e.kind,
          detail: e.detail,
          ...(e.errors ? { errors: e.errors } : {}),
          ...(e.retryAfterSeconds !== undefined ? { retryAfterSeconds: e.retryAfterSeconds } : {}),
        },
      });
      return undefined;
    }
  }
}

/** Fixed inputs shared by both runs (each run has its own database). */
export interface ParityFixture {
  email: string;
  adminEmail: string;
  missingId: string;
  owner: string;
  other: string;
  admin: string;
}

const PASSWORD = 'parity password 123';

export async function identityScript(bus: Bus, f: ParityFixture): Promise<Outcome[]> {
  const s = new Script(bus);
  const ops = identity.ops;
  const user = await s.call(
    'register',
    ops.register,
    { email: f.email, password: PASSWORD, displayName: 'Parity' },
    undefined,
    'ok',
  );
  await s.call(
    'register the same email',
    ops.register,
    { email: f.email, password: PASSWORD, displayName: 'Again' },
    undefined,
    'identity.emailTaken',
  );
  await s.call(
    'register the same email, other case',
    ops.register,
    { email: f.email.toUpperCase(), password: PASSWORD, displayName: 'Again' },
    undefined,
    'identity.emailTaken',
  );
  await s.call(
    'login, wrong password',
    ops.login,
    { email: f.email, password: 'not the password' },
    undefined,
    'identity.invalidCredentials',
  );
  await s.call(
    'login, unknown email',
    ops.login,
    { email: `nobody-${f.email}`, password: PASSWORD },
    undefined,
    'identity.invalidCredentials',
  );
  const tokens = await s.call('login', ops.login, { email: f.email, password: PASSWORD }, undefined, 'ok');
  await s.call('validate a garbage token', ops.validateToken, { token: 'garbage' }, undefined, 'identity.invalidToken');
  const claims = await s.call(
    'validate the access token',
    ops.validateToken,
    { token: tokens?.accessToken ?? 'missing' },
    undefined,
    'ok',
  );
  const member: Caller = {
    userId: user?.id ?? f.missingId,
    role: 'member',
    sessionId: claims?.sessionId ?? f.missingId,
  };
  await s.call('getMe, anonymous', ops.getMe, {}, undefined, 'unauthorized');
  await s.call('getMe', ops.getMe, {}, member, 'ok');
  await s.call(
    'getMe of a deleted user',
    ops.getMe,
    {},
    { userId: f.missingId, role: 'member' },
    'identity.userNotFound',
  );
  await s.call('updateMe', ops.updateMe, { displayName: 'Renamed' }, member, 'ok');
  await s.call(
    'updateMe, wrong current password',
    ops.updateMe,
    { password: 'a brand new password', currentPassword: 'wrong' },
    member,
    'identity.wrongPassword',
  );
  await s.call('listUsers as a member', ops.listUsers, {}, member, 'identity.notAdmin');
  await s.call(
    'public profile of nobody',
    ops.getPublicProfile,
    { id: f.missingId },
    undefined,
    'identity.userNotFound',
  );
  await s.call('public profile', ops.getPublicProfile, { id: user?.id ?? f.missingId }, undefined, 'ok');
  const adminUser = await s.call(
    'ensureAdmin',
    ops.ensureAdmin,
    { email: f.adminEmail, password: PASSWORD },
    undefined,
    'ok',
  );
  await s.call('ensureAdmin again', ops.ensureAdmin, { email: f.adminEmail, password: PASSWORD }, undefined, 'ok');
  const admin: Caller = { userId: adminUser?.id ?? f.missingId, role: 'admin' };
  await s.call('listUsers as admin', ops.listUsers, { limit: 10 }, admin, 'ok');
  await s.call(
    'updateUser of nobody',
    ops.updateUser,
    { id: f.missingId, role: 'admin' },
    admin,
    'identity.userNotFound',
  );
  await s.call(
    'updateUser as a member',
    ops.updateUser,
    { id: admin.userId, role: 'member' },
    member,
    'identity.notAdmin',
  );
  await s.call('deleteUser as a member', ops.deleteUser, { id: admin.userId }, member, 'identity.notAdmin');
  await s.call(
    'refresh a garbage token',
    ops.refresh,
    { refreshToken: 'garbage' },
    undefined,
    'identity.invalidRefreshToken',
  );
  const rotated = await s.call(
    'refresh',
    ops.refresh,
    { refreshToken: tokens?.refreshToken ?? 'missing' },
    undefined,
    'ok',
  );
  await s.call(
    'refresh with the rotated token again',
    ops.refresh,
    { refreshToken: tokens?.refreshToken ?? 'missing' },
    undefined,
    'identity.invalidRefreshToken',
  );
  await s.call(
    'the reuse revoked the session',
    ops.validateToken,
    { token: rotated?.accessToken ?? 'missing' },
    undefined,
    'identity.invalidToken',
  );
  const again = await s.call('login again', ops.login, { email: f.email, password: PASSWORD }, undefined, 'ok');
  const session = await s.call(
    'validate the new token',
    ops.validateToken,
    { token: again?.accessToken ?? 'missing' },
    undefined,
    'ok',
  );
  await s.call('logout, anonymous', ops.logout, {}, undefined, 'unauthorized');
  await s.call('logout', ops.logout, {}, { ...member, sessionId: session?.sessionId ?? f.missingId }, 'ok');
  await s.call(
    'the logged-out token',
    ops.validateToken,
    { token: again?.accessToken ?? 'missing' },
    undefined,
    'identity.invalidToken',
  );
  await s.call('deleteUser as admin', ops.deleteUser, { id: member.userId }, admin, 'ok');
  await s.call('deleteUser again', ops.deleteUser, { id: member.userId }, admin, 'identity.userNotFound');
  return s.outcomes;
}

export async function inventoryScript(bus: Bus, f: ParityFixture): Promise<Outcome[]> {
  const s = new Script(bus);
  const ops = inventory.ops;
  const owner: Caller = { userId: f.owner, role: 'member' };
  const other: Caller = { userId: f.other, role: 'member' };
  const admin: Caller = { userId: f.admin, role: 'admin' };
  await s.call('create, anonymous', ops.createItem, drill(), undefined, 'unauthorized');
  await s.call(
    'create, two currencies',
    ops.createItem,
    drill({ deposit: { amount: 100, currency: 'USD' } }),
    owner,
    'inventory.currencyMismatch',
  );
  const item = await s.call('create', ops.createItem, drill(), owner, 'ok');
  const id: string = item?.id ?? f.missingId;
  await s.call('create a second', ops.createItem, drill({ title: 'Ladder', category: 'garden' }), owner, 'ok');
  await s.call('get a missing item', ops.getItem, { id: f.missingId }, undefined, 'inventory.itemNotFound');
  await s.call('get', ops.getItem, { id }, undefined, 'ok');
  await s.call('update, not the owner', ops.updateItem, { id, title: 'Mine now' }, other, 'inventory.notOwner');
  await s.call(
    'update, stale version',
    ops.updateItem,
    { id, ifMatch: 7, title: 'Stale' },
    owner,
    'inventory.versionMismatch',
  );
  await s.call(
    'update, unknown item',
    ops.updateItem,
    { id: f.missingId, title: 'x' },
    owner,
    'inventory.itemNotFound',
  );
  await s.call('update, anonymous', ops.updateItem, { id, title: 'x' }, undefined, 'unauthorized');
  await s.call('update', ops.updateItem, { id, ifMatch: '"1"', title: 'Renamed drill' }, owner, 'ok');
  await s.call(
    'update repeated (already in effect)',
    ops.updateItem,
    { id, ifMatch: '"1"', title: 'Renamed drill' },
    owner,
    'ok',
  );
  await s.call(
    'update by an admin, weak tag',
    ops.updateItem,
    { id, ifMatch: 'W/"2"', condition: 'fair' },
    admin,
    'ok',
  );
  await s.call(
    'update, currency of one price only',
    ops.updateItem,
    { id, dailyPrice: { amount: 900, currency: 'USD' } },
    owner,
    'inventory.currencyMismatch',
  );
  await s.call('list by owner', ops.listItems, { ownerId: f.owner }, undefined, 'ok');
  await s.call(
    'list by owner, sorted by title',
    ops.listItems,
    { ownerId: f.owner, sort: 'title', order: 'asc' },
    undefined,
    'ok',
  );
  await s.call('unlist, not the owner', ops.unlistItem, { id }, other, 'inventory.notOwner');
  await s.call('unlist, stale version', ops.unlistItem, { id, ifMatch: '"1"' }, owner, 'inventory.versionMismatch');
  await s.call('unlist', ops.unlistItem, { id }, owner, 'ok');
  await s.call('unlist repeated', ops.unlistItem, { id }, owner, 'ok');
  await s.call('list unlisted', ops.listItems, { ownerId: f.owner, status: 'unlisted' }, undefined, 'ok');
  await s.call('relist', ops.relistItem, { id }, owner, 'ok');
  await s.call('relist repeated', ops.relistItem, { id }, owner, 'ok');
  await s.call('unlist a missing item', ops.unlistItem, { id: f.missingId }, owner, 'inventory.itemNotFound');
  await s.call('retire, not the owner', ops.retireItem, { id }, other, 'inventory.notOwner');
  await s.call('retire, stale version', ops.retireItem, { id, ifMatch: '"1"' }, owner, 'inventory.versionMismatch');
  await s.call('retire', ops.retireItem, { id }, owner, 'ok');
  await s.call('update a retired item', ops.updateItem, { id, title: 'Back' }, owner, 'inventory.itemRetired');
  await s.call('relist a retired item', ops.relistItem, { id }, owner, 'inventory.itemRetired');
  await s.call('retire a retired item', ops.retireItem, { id }, owner, 'inventory.illegalTransition');
  await s.call('get a retired item', ops.getItem, { id }, undefined, 'ok');
  await s.call('list by owner after retiring', ops.listItems, { ownerId: f.owner }, undefined, 'ok');
  await s.call('list retired', ops.listItems, { ownerId: f.owner, status: 'retired' }, undefined, 'ok');
  return s.outcomes;
}
