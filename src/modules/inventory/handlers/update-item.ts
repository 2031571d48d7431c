import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { inventory } from '../contract.ts';
import type { items } from '../db/schema.ts';
import type { InventoryDeps } from '../deps.ts';
import { planEdit, type ListingEdit } from '../domain/listing.ts';
import { mayManage } from '../domain/ownership.ts';
import { versionOfIfMatch } from '../domain/versions.ts';
import { changeItem } from './change-item.ts';
import { toItem } from './item-view.ts';

export const updateItem: Handler<typeof inventory.ops.updateItem, InventoryDeps> = async (input, ctx) => {
  const { caller } = ctx;
  if (!caller) throw platformErrors.unauthorized();
  const { id, ifMatch, ...edit } = input;
  const row = await changeItem(ctx, id, versionOfIfMatch(ifMatch), (current) => {
    if (!mayManage(caller, current.ownerId))
      throw inventory.error('notOwner', `Only the owner of item ${id} or an admin can edit it.`);
    if (current.status === 'retired')
      throw inventory.error('itemRetired', `Item ${id} is retired and can no longer be edited.`);
    const item = toItem(current);
    const plan = planEdit(item, edit);
    if (plan.kind === 'currencyMismatch') throw inventory.error('currencyMismatch', plan.detail);
    if (plan.kind === 'unchanged') return plan;
    return { kind: 'write', columns: columnsOf(plan.changes), change: { type: 'updated', data: plan.changes } };
  });
  return toItem(row);
};

function columnsOf(changes: ListingEdit): Partial<typeof items.$inferInsert> {
  const { dailyPrice, deposit, ...rest } = changes;
  return {
    ...rest,
    ...(dailyPrice ? { dailyPriceAmount: dailyPrice.amount, currency: dailyPrice.currency } : {}),
    ...(deposit ? { depositAmount: deposit.amount, currency: deposit.currency } : {}),
  };
}
