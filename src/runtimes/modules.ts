import { analyticsModule } from '../modules/analytics/module.ts';
import { catalogModule } from '../modules/catalog/module.ts';
import { identityModule } from '../modules/identity/module.ts';
import { inventoryModule } from '../modules/inventory/module.ts';
import { notificationsModule } from '../modules/notifications/module.ts';
import { paymentsModule } from '../modules/payments/module.ts';
import { rentalsModule } from '../modules/rentals/module.ts';
import type { AnyModule } from '../shared/modules/define-module.ts';

/** Every module, as imported objects (never names in strings), in start order. */
export const allModules: readonly AnyModule[] = [
  identityModule,
  inventoryModule,
  paymentsModule,
  notificationsModule,
  catalogModule,
  rentalsModule,
  analyticsModule,
];
