import type { z } from 'zod';
import type { itemStatusSchema } from '../contract.ts';

export type ItemStatus = z.infer<typeof itemStatusSchema>;

/** What an owner (or an admin) can do to an item's listing. */
export type ItemAction = 'unlist' | 'relist' | 'retire';

interface Rule {
  from: readonly ItemStatus[];
  to: ItemStatus;
}

/**
 * The listing state machine: listed ⇄ unlisted (unlisting pauses new bookings, the existing
 * ones stay valid), and retire from either; retired is final. Bookings live in the rentals
 * calendar, not here.
 */
const rules: Record<ItemAction, Rule> = {
  unlist: { from: ['listed'], to: 'unlisted' },
  relist: { from: ['unlisted'], to: 'listed' },
  retire: { from: ['listed', 'unlisted'], to: 'retired' },
};

export type StatusPlan =
  | { kind: 'move'; from: ItemStatus; to: ItemStatus }
  | { kind: 'unchanged' }
  | { kind: 'retired' }
  | { kind: 'illegal'; from: ItemStatus; to: ItemStatus };

/** Every status change the machine allows, as [from, to, action]. */
export function allowedMoves(): [ItemStatus, ItemStatus, ItemAction][] {
  return (Object.entries(rules) as [ItemAction, Rule][]).flatMap(([action, rule]) =>
    rule.from.map((from) => [from, rule.to, action] as [ItemStatus, ItemStatus, ItemAction]),
  );
}

/**
 * Decides what an action does to an item in a status: a repeat of unlist or relist succeeds
 * unchanged; anything but retire on a retired item is refused as retired (it is final).
 */
export function planStatusChange(status: ItemStatus, action: ItemAction): StatusPlan {
  const rule = rules[action];
  if (status === rule.to && action !== 'retire') return { kind: 'unchanged' };
  if (status === 'retired' && action !== 'retire') return { kind: 'retired' };
  if (!rule.from.includes(status)) return { kind: 'illegal', from: status, to: rule.to };
  return { kind: 'move', from: status, to: rule.to };
}
