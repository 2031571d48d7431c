import type { Handler } from '../../../shared/bus/bus.ts';
import type { inventory } from '../contract.ts';
import type { InventoryDeps } from '../deps.ts';
import { readItem } from './item-cache.ts';

export const getItem: Handler<typeof inventory.ops.getItem, InventoryDeps> = (input, { deps, caller }) =>
  readItem(deps, input.id, caller);
