import { z } from 'zod';

/** Metadata that travels with every event, whatever its transport. */
export const envelopeSchema = z.object({
  messageId: z.uuid(),
  /** Fully qualified event name, e.g. inventory.itemCreated. */
  event: z.string(),
  version: z.number().int(),
  aggregateId: z.string(),
  correlationId: z.string(),
  causationId: z.string(),
  userId: z.string().optional(),
  occurredAt: z.iso.datetime(),
  traceparent: z.string().optional(),
});

export type Envelope = z.infer<typeof envelopeSchema>;

/** An event as delivered: its envelope and its (contract-validated) payload. */
export interface EventMessage<P = unknown> {
  envelope: Envelope;
  payload: P;
}
