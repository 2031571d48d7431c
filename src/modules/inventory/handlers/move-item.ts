import type { CallContext } from '../../../shared/bus/context.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { inventory } from '../contract.ts';
import type { InventoryDeps } from '../deps.ts';
import { mayManage } from '../domain/ownership.ts';
import { planStatusChange, type ItemAction } from '../domain/status.ts';
import { versionOfIfMatch } from '../domain/versions.ts';
import { changeItem } from './change-item.ts';
import type { ItemRow } from './item-view.ts';

/**
 * An owner's (or an admin's) move through the listing state machine, at the item's current
 * version or the one If-Match names, recording it in history and publishing it. A repeat of a
 * move already in effect returns the item unchanged and records nothing.
 */
export function moveItem(
  ctx: CallContext & { deps: InventoryDeps },
  input: { id: string; ifMatch?: string | number | undefined },
  action: ItemAction,
): Promise<ItemRow> {
  const { caller } = ctx;
  if (!caller) throw platformErrors.unauthorized();
  return changeItem(ctx, input.id, versionOfIfMatch(input.ifMatch), (row) => {
    if (!mayManage(caller, row.ownerId))
      throw inventory.error('notOwner', `Only the owner of item ${row.id} or an admin can ${action} it.`);
    const plan = planStatusChange(row.status, action);
    switch (plan.kind) {
      case 'unchanged':
        return { kind: 'unchanged' };
      case 'move':
        return {
          kind: 'write',
          columns: { status: plan.to },
          change: { type: 'status_changed', data: { from: plan.from, to: plan.to, reservationId: null } },
        };
      case 'retired':
        throw inventory.error('itemRetired', `Item ${row.id} is retired for good and cannot be ${action}ed.`);
      case 'illegal':
        throw inventory.error(
          'illegalTransition',
          `Cannot ${action} item ${row.id}: it is ${plan.from}, and ${plan.from} → ${plan.to} is not allowed.`,
        );
    }
  });
}
