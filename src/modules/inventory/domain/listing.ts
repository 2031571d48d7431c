import type { z } from 'zod';
import type { itemConditionSchema } from '../contract.ts';
import { currencyConflict, sameMoney, type Money } from './money.ts';

/** The parts of an item its owner describes and may edit. */
export interface Listing {
  title: string;
  description: string;
  category: string;
  dailyPrice: Money;
  deposit: Money;
  condition: z.infer<typeof itemConditionSchema>;
}

export type ListingEdit = Partial<Listing>;

export type EditPlan =
  | { kind: 'change'; changes: ListingEdit }
  | { kind: 'unchanged' }
  | { kind: 'currencyMismatch'; detail: string };

/** Keeps only the fields an edit really changes, and checks the edited item still has one currency. */
export function planEdit(current: Listing, edit: ListingEdit): EditPlan {
  const dailyPrice = edit.dailyPrice ?? current.dailyPrice;
  const deposit = edit.deposit ?? current.deposit;
  const conflict = currencyConflict(dailyPrice, deposit);
  if (conflict) return { kind: 'currencyMismatch', detail: conflict };
  const changes: ListingEdit = {};
  if (edit.title !== undefined && edit.title !== current.title) changes.title = edit.title;
  if (edit.description !== undefined && edit.description !== current.description)
    changes.description = edit.description;
  if (edit.category !== undefined && edit.category !== current.category) changes.category = edit.category;
  if (edit.condition !== undefined && edit.condition !== current.condition) changes.condition = edit.condition;
  if (edit.dailyPrice && !sameMoney(edit.dailyPrice, current.dailyPrice)) changes.dailyPrice = edit.dailyPrice;
  if (edit.deposit && !sameMoney(edit.deposit, current.deposit)) changes.deposit = edit.deposit;
  return Object.keys(changes).length === 0 ? { kind: 'unchanged' } : { kind: 'change', changes };
}
