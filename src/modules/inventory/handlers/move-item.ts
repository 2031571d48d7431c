import type { CallContext } from '../../../shared/bus/context.ts';
import { inventory } from '../contract.ts';
import type { InventoryDeps } from '../deps.ts';
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
 * version, recording the move. authorize runs on the current row first; a repeat of a step
 * that is already in effect returns the item unchanged and records nothing.
 */
export function moveItem(
  ctx: CallContext & { deps: InventoryDeps },
  step: { id: string; action: ItemAction; reservationId?: string; expectedVersion?: number | undefined },
  authorize?: (row: ItemRow) => void,
): Promise<ItemRow> {
  return changeItem(ctx, step.id, step.expectedVersion, (row) => {
    authorize?.(row);
    const plan = planStatusChange(row, step.action, step.reservationId);
    switch (plan.kind) {
      case 'unchanged':
        return { kind: 'unchanged' };
      case 'move':
        return {
          kind: 'write',
          columns: { status: plan.to, reservationId: plan.reservationId },
          // Release and return record the reservation they freed the item from.
          change: {
            type: 'status_changed',
            data: { from: plan.from, to: plan.to, reservationId: plan.reservationId ?? holderOf(row) },
          },
        };
      case 'heldByOther':
        throw inventory.error(
          'reservationMismatch',
          `Cannot ${verbs[step.action]} item ${row.id}: another reservation holds it (${plan.status}).`,
        );
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
