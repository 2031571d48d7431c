import { z } from 'zod';
import { errorKinds } from './errors.ts';

/** The path of a service's internal bus endpoint; never routed by the gateway. */
export const INTERNAL_BUS_PATH = '/internal/bus';

/** The error code of a call refused for its service credential: a deployment fault, never the end user's. */
export const SERVICE_CREDENTIAL_REJECTED = 'serviceCredentialRejected';

/** Headers that carry a call's context across a hop. */
export const wireHeaders = {
  requestId: 'x-request-id',
  traceparent: 'traceparent',
  /** Milliseconds left before the caller's deadline (relative, so clocks need not agree). */
  deadline: 'x-deadline-ms',
} as const;

const callerSchema = z.object({ userId: z.string(), role: z.string(), sessionId: z.string().optional() });

/** The body of an internal bus call. */
export const wireRequestSchema = z.object({
  input: z.unknown(),
  caller: callerSchema.optional(),
  /** Major version of the contract the caller was built against: another major is refused. */
  contractVersion: z.number().int(),
  /** Its minor version: any minor of the same major interoperates (the callee parses what it knows). */
  contractMinor: z.number().int().optional(),
  /** The request's feature flags as the edge evaluated them. */
  flags: z.record(z.string(), z.object({ value: z.json(), variant: z.string().optional() })).optional(),
});

export type WireRequest = z.infer<typeof wireRequestSchema>;

/** The body of an internal bus reply: an output, or a typed error. */
export const wireReplySchema = z.union([
  z.object({ output: z.unknown() }),
  z.object({
    error: z.object({
      code: z.string(),
      kind: z.enum(errorKinds),
      detail: z.string(),
      errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      retryAfterSeconds: z.number().optional(),
    }),
  }),
]);
