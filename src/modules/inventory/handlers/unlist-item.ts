import type { Handler } from '../../../shared/bus/bus.ts';
import type { inventory } from '../contract.ts';
import type { InventoryDeps } from '../deps.ts';
import { toItem } from './item-view.ts';
import { moveItem } from './move-item.ts';

/** Pauses new bookings; the existing ones stay valid (rentals holds them in its calendar). */
export const unlistItem: Handler<typeof inventory.ops.unlistItem, InventoryDeps> = async (input, ctx) =>
  toItem(await moveItem(ctx, input, 'unlist'));
