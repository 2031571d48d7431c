import type { Caller } from '../../../shared/bus/context.ts';
import { catalog } from '../contract.ts';

/** Operator ops are for admins only. */
export function requireAdmin(caller: Caller | undefined): void {
  if (caller?.role !== 'admin') throw catalog.error('notAdmin', 'Only admins can operate the catalog.');
}
