import type { Handler } from '../../../shared/bus/bus.ts';
import type { inventory } from '../contract.ts';
import type { InventoryDeps } from '../deps.ts';
import { toItem } from './item-view.ts';
import { moveItem } from './move-item.ts';

export const relistItem: Handler<typeof inventory.ops.relistItem, InventoryDeps> = async (input, ctx) =>
  toItem(await moveItem(ctx, input, 'relist'));
