import type { Handler } from '../../../shared/bus/bus.ts';
import type { inventory } from '../contract.ts';
import type { InventoryDeps } from '../deps.ts';
import { toItem } from './item-view.ts';
import { moveItem } from './move-item.ts';

export const markItemInUse: Handler<typeof inventory.ops.markItemInUse, InventoryDeps> = async (input, ctx) =>
  toItem(
    await moveItem(ctx, {
      id: input.id,
      action: 'markInUse',
      reservationId: input.reservationId,
      expectedVersion: input.expectedVersion,
    }),
  );
