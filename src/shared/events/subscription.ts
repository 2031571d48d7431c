import type { z } from 'zod';
import type { Event } from '../bus/contract.ts';
import type { Tx } from '../db/database.ts';
import type { EventMessage } from './envelope.ts';

/** A module's reaction to another module's event; runs in its own transaction with the inbox row. */
export interface SubscriptionSpec<P extends z.ZodType = z.ZodType> {
  /** Unique within the module, e.g. onItemCreated; the consumer is `<module>.<name>`. */
  name: string;
  event: Event<P>;
  handle(message: EventMessage<z.output<P>>, tx: Tx): Promise<void>;
}

/** Declares a subscription, typing its handler by the event's payload schema. */
export function on<P extends z.ZodType>(
  event: Event<P>,
  name: string,
  handle: (message: EventMessage<z.output<P>>, tx: Tx) => Promise<void>,
): SubscriptionSpec {
  return { name, event, handle } as SubscriptionSpec;
}

/** A subscription ready to run: applying a message is idempotent, and dead-lettering is durable. */
export interface BoundSubscription {
  consumer: string;
  module: string;
  event: string;
  /** Applies the message once: 'duplicate' when the inbox already has it. */
  apply(message: EventMessage): Promise<'applied' | 'duplicate'>;
  deadLetter(message: EventMessage, error: unknown, attempts: number): Promise<void>;
}
