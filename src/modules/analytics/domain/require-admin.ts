import type { Caller } from '../../../shared/bus/context.ts';
import { analytics } from '../contract.ts';

/** The warehouse and its reports across everyone's data are for admins only. */
export function requireAdmin(caller: Caller | undefined): void {
  if (caller?.role !== 'admin')
    throw analytics.error('notAdmin', 'Only admins can operate the warehouse or read its reports.');
}
