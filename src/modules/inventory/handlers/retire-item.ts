import type { Handler } from '../../../shared/bus/bus.ts';
import type { inventory } from '../contract.ts';
import type { InventoryDeps } from '../deps.ts';
import { toItem } from './item-view.ts';
import { moveItem } from './move-item.ts';

/** Soft delete: the item stays readable, leaves the default list, and can never change again. Rentals cancels its bookings not handed over yet. */
export const retireItem: Handler<typeof inventory.ops.retireItem, InventoryDeps> = async (input, ctx) =>
  toItem(await moveItem(ctx, input, 'retire'));
