import type { Db } from '../../../shared/db/database.ts';
import { inventory } from '../contract.ts';
import { holderOf, planStatusChange, type ItemAction } from '../domain/status.ts';
import { changeItem } from './change-item.ts';
import type { ItemRow } from './item-view.ts';

const verbs: Record<ItemAction, string> = {
  reserve: 'reserve',
  release: 'release',
  markInUse: 'mark in use',
  markReturned: 'mark returned',
  retire: 'retire',
};

/**
 * Moves an item through the availability state machine at its current (or the expected)
 * version. authorize runs on the current row first; a repeat of a step that is already in
 * effect returns the item unchanged.
 */
export function moveItem(
  db: Db,
  step: { id: string; action: ItemAction; reservationId?: string; expectedVersion?: number | undefined },
  authorize?: (row: ItemRow) => void,
): Promise<ItemRow> {
  return changeItem(db, step.id, step.expectedVersion, (row) => {
    authorize?.(row);
    const plan = planStatusChange(row, step.action, step.reservationId);
    switch (plan.kind) {
      case 'unchanged':
        return { kind: 'unchanged' };
      case 'move':
        return { kind: 'write', changes: { status: plan.to, reservationId: plan.reservationId } };
      case 'heldByOther':
        throw inventory.error('reservationMismatch', `Cannot ${verbs[step.action]} item ${row.id}: another reservation holds it (${plan.status}).`);
      case 'illegal': {
        const holder = holderOf(row);
        const why = holder && holder !== step.reservationId ? ' and another reservation holds it' : '';
        throw inventory.error(
          'illegalTransition',
          `Cannot ${verbs[step.action]} item ${row.id}: it is ${plan.from}${why}, and ${plan.from} → ${plan.to} is not allowed.`,
        );
      }
    }
  });
}
