import type { Handler } from '../../../shared/bus/bus.ts';
import type { inventory } from '../contract.ts';
import type { InventoryDeps } from '../deps.ts';
import { findItem } from './find-item.ts';
import { toItem } from './item-view.ts';

export const getItem: Handler<typeof inventory.ops.getItem, InventoryDeps> = async (input, { deps, caller }) => toItem(await findItem(deps.reads.db(caller), input.id));
