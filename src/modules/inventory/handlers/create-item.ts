import { randomUUID } from 'node:crypto';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { inventory } from '../contract.ts';
import { items } from '../db/schema.ts';
import type { InventoryDeps } from '../deps.ts';
import { currencyConflict } from '../domain/money.ts';
import { toItem } from './item-view.ts';

export const createItem: Handler<typeof inventory.ops.createItem, InventoryDeps> = async (input, { deps, caller }) => {
  if (!caller) throw platformErrors.unauthorized();
  const conflict = currencyConflict(input.dailyPrice, input.deposit);
  if (conflict) throw inventory.error('currencyMismatch', conflict);
  const [row] = await deps.db
    .insert(items)
    .values({
      id: randomUUID(),
      ownerId: caller.userId,
      title: input.title,
      description: input.description,
      category: input.category,
      currency: input.dailyPrice.currency,
      dailyPriceAmount: input.dailyPrice.amount,
      depositAmount: input.deposit.amount,
      condition: input.condition,
    })
    .returning();
  return toItem(row!);
};
