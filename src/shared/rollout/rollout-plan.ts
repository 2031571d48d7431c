import { z } from 'zod';

/**
 * How calls to one module are routed among the versions of its instances. Without a plan,
 * every healthy instance takes calls whatever its version (a rolling restart mixes them).
 *   - pinned: only instances of `version` (blue-green after the switch, a promoted or rolled-back canary);
 *   - canary: `weight` of the users (sticky by consistent hashing) to `canary`, the rest to `stable`;
 *   - shadow: calls to `stable`; a `sample` of queries mirrored to `shadow`, its answers only compared.
 * Every change gets a new `id`, so a decision applies only to the plan it was made for.
 */
export const rolloutPlanSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('pinned'),
    id: z.string(),
    version: z.string().min(1),
    /** Why: `blue-green`, `promoted`, `rolled-back`. */
    reason: z.string().optional(),
  }),
  z.object({
    mode: z.literal('canary'),
    id: z.string(),
    stable: z.string().min(1),
    canary: z.string().min(1),
    weight: z.number().min(0).max(1),
  }),
  z.object({
    mode: z.literal('shadow'),
    id: z.string(),
    stable: z.string().min(1),
    shadow: z.string().min(1),
    sample: z.number().min(0).max(1),
  }),
]);

export type RolloutPlan = z.infer<typeof rolloutPlanSchema>;

/** A plan as written by an operator, before it gets its id. */
export type RolloutPlanInput = RolloutPlan extends infer P ? (P extends RolloutPlan ? Omit<P, 'id'> : never) : never;

/** The version whose instances take the call (undefined: any healthy instance). */
export function primaryVersion(plan: RolloutPlan | undefined, inCanary: () => boolean): string | undefined {
  if (!plan) return undefined;
  switch (plan.mode) {
    case 'pinned':
      return plan.version;
    case 'canary':
      return inCanary() ? plan.canary : plan.stable;
    case 'shadow':
      return plan.stable;
  }
}
