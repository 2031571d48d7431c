import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { inventory } from '../contract.ts';
import type { InventoryDeps } from '../deps.ts';
import { mayManage } from '../domain/ownership.ts';
import { versionOfIfMatch } from '../domain/versions.ts';
import { toItem } from './item-view.ts';
import { moveItem } from './move-item.ts';

/** Soft delete: the item stays readable, leaves the default list, and can never change again. */
export const retireItem: Handler<typeof inventory.ops.retireItem, InventoryDeps> = async (input, ctx) => {
  const { caller } = ctx;
  if (!caller) throw platformErrors.unauthorized();
  const row = await moveItem(
    ctx,
    { id: input.id, action: 'retire', expectedVersion: versionOfIfMatch(input.ifMatch) },
    (current) => {
      if (!mayManage(caller, current.ownerId))
        throw inventory.error('notOwner', `Only the owner of item ${current.id} or an admin can retire it.`);
    },
  );
  return toItem(row);
};
