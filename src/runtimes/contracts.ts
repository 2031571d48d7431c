import { analytics } from '../modules/analytics/contract.ts';
import { catalog } from '../modules/catalog/contract.ts';
import { identity } from '../modules/identity/contract.ts';
import { inventory } from '../modules/inventory/contract.ts';
import { notifications } from '../modules/notifications/contract.ts';
import { payments } from '../modules/payments/contract.ts';
import { rentals } from '../modules/rentals/contract.ts';
import type { AnyContract } from '../shared/bus/contract.ts';

/** Every public contract: what the gateway (or the monolith's edge) serves. */
export const allContracts: readonly AnyContract[] = [
  identity as unknown as AnyContract,
  inventory as unknown as AnyContract,
  payments as unknown as AnyContract,
  notifications as unknown as AnyContract,
  catalog as unknown as AnyContract,
  rentals as unknown as AnyContract,
  analytics as unknown as AnyContract,
];
