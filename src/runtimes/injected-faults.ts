import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { AppError } from '../shared/bus/errors.ts';
import { INTERNAL_BUS_PATH } from '../shared/bus/wire.ts';
import { envSettings } from '../shared/config/env-settings.ts';
import type { Logger } from '../shared/observability/logger.ts';

const faultSchema = z.object({
  // Share of internal bus calls answered with an internal error (a broken new version).
  FAULT_BUS_ERROR_RATIO: z.coerce.number().min(0).max(1).default(0),
  // Delay before each internal bus call is handled (a slow new version).
  FAULT_BUS_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  // Top-level output field rewritten in every object answer (a version that answers differently).
  FAULT_BUS_ALTER_FIELD: z.string().min(1).optional(),
});

/**
 * Test hooks of a service's internal bus endpoint, switched on by FAULT_BUS_* variables: a
 * new version that fails, is slow or answers differently, for rollout tests. None in production.
 */
export function injectedBusFaults(
  env: Record<string, string | undefined>,
  production: boolean,
  log: Logger,
): MiddlewareHandler | undefined {
  const faults = envSettings(faultSchema, env, 'FAULT_');
  const active = faults.FAULT_BUS_ERROR_RATIO > 0 || faults.FAULT_BUS_DELAY_MS > 0 || faults.FAULT_BUS_ALTER_FIELD;
  if (!active) return undefined;
  if (production) {
    log.warn(faults, 'FAULT_BUS_* are test hooks and are ignored in production');
    return undefined;
  }
  log.warn(faults, 'internal bus test faults are active');
  return async function injectedFaults(c, next) {
    if (!c.req.path.startsWith(`${INTERNAL_BUS_PATH}/`)) return next();
    if (faults.FAULT_BUS_DELAY_MS > 0) await new Promise((done) => setTimeout(done, faults.FAULT_BUS_DELAY_MS));
    if (Math.random() < faults.FAULT_BUS_ERROR_RATIO) {
      const error = new AppError('injectedFault', 'internal', 'A test fault was injected (FAULT_BUS_ERROR_RATIO).');
      return c.json({ error: error.toJSON() }, 500);
    }
    await next();
    const field = faults.FAULT_BUS_ALTER_FIELD;
    if (!field || c.res.status !== 200) return;
    const reply = (await c.res.clone().json()) as { output?: unknown };
    const output = reply.output;
    if (output && typeof output === 'object' && !Array.isArray(output) && field in output) {
      c.res = Response.json({ output: { ...output, [field]: `altered by FAULT_BUS_ALTER_FIELD` } });
    }
  };
}
