import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { identity, publicProfileSchema } from '../modules/identity/contract.ts';
import { inventory, itemSchema } from '../modules/inventory/contract.ts';
import type { Bus } from '../shared/bus/bus.ts';
import { AppError } from '../shared/bus/errors.ts';
import type { App } from '../shared/http/app.ts';
import { requestCallContext } from '../shared/http/contract-routes.ts';
import { problemSchema } from '../shared/http/problem.ts';

const detailsSchema = z
  .object({
    item: itemSchema,
    owner: publicProfileSchema.optional().describe("The owner's public profile; omitted when identity cannot answer"),
    warnings: z.array(z.string()).optional().describe('Parts that could not be composed, and why'),
  })
  .meta({ id: 'ItemDetails' });

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

const route = createRoute({
  method: 'get',
  path: '/v1/items/{id}/details',
  operationId: 'gateway.getItemDetails',
  tags: ['Items'],
  summary: "An item with its owner's public profile, in one response",
  description:
    'Composed at the edge from inventory and identity. When identity is unavailable the item is still returned, without its owner and with a warning.',
  request: { params: z.object({ id: z.uuid() }) },
  responses: {
    200: { description: 'The item and its owner', content: { 'application/json': { schema: detailsSchema } } },
    400: problem('Problem: validationFailed'),
    404: problem('Problem: inventory.itemNotFound'),
    500: problem('Problem: internal'),
    503: problem('Problem: serviceUnavailable'),
  },
});

/** Response aggregation: GET /v1/items/{id}/details, degrading gracefully without identity. */
export function mountItemDetails(app: App, options: { bus: Bus; timeoutMs: number }): void {
  app.openapi(route, async (c) => {
    const ctx = requestCallContext(c as never, options.timeoutMs);
    const item = await options.bus.call(inventory.ops.getItem, { id: c.req.valid('param').id }, ctx);
    try {
      const owner = await options.bus.call(identity.ops.getPublicProfile, { id: item.ownerId }, ctx);
      return c.json({ item, owner }, 200);
    } catch (error) {
      const reason =
        error instanceof AppError && error.kind === 'not_found'
          ? 'owner account no longer exists'
          : 'owner profile unavailable';
      return c.json({ item, warnings: [reason] }, 200);
    }
  });
}
