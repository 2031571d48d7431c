import type { Caller } from '../../../shared/bus/context.ts';

/** Only an item's owner, or an admin, may change it. */
export function mayManage(caller: Caller, ownerId: string): boolean {
  return caller.role === 'admin' || caller.userId === ownerId;
}
