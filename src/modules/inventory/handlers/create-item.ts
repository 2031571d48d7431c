import { randomUUID } from 'node:crypto';
import type { Handler } from '../../../shared/bus/bus.ts';
import { platformErrors } from '../../../shared/bus/errors.ts';
import { inventory } from '../contract.ts';
import { items } from '../db/schema.ts';
import type { InventoryDeps } from '../deps.ts';
import { currencyConflict } from '../domain/money.ts';
import { toItem } from './item-view.ts';
import { recordChange } from './record-change.ts';

export const createItem: Handler<typeof inventory.ops.createItem, InventoryDeps> = async (input, ctx) => {
  const { deps, caller } = ctx;
  if (!caller) throw platformErrors.unauthorized();
  const conflict = currencyConflict(input.dailyPrice, input.deposit);
  if (conflict) throw inventory.error('currencyMismatch', conflict);
  const { title, description, category, dailyPrice, deposit, condition } = input;
  const row = await deps.db.transaction(async (tx) => {
    const [created] = await tx
      .insert(items)
      .values({
        id: randomUUID(),
        ownerId: caller.userId,
        title,
        description,
        category,
        currency: dailyPrice.currency,
        dailyPriceAmount: dailyPrice.amount,
        depositAmount: deposit.amount,
        condition,
      })
      .returning();
    const listing = { ownerId: caller.userId, title, description, category, dailyPrice, deposit, condition };
    await recordChange(tx, deps, ctx, created!, { type: 'created', data: listing });
    return created!;
  });
  return toItem(row);
};
