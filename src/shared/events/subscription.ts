import type { z } from 'zod';
import type { Event } from '../bus/contract.ts';
import type { Tx } from '../db/database.ts';
import type { EventMessage } from './envelope.ts';

/**
 * A module's reaction to another module's event; runs in its own transaction with the inbox row.
 * What it needs from elsewhere (a bus call) it fetches in prepare, before that transaction opens.
 */
export interface SubscriptionSpec<P extends z.ZodType = z.ZodType, C = unknown> {
  /** Unique within the module, e.g. onItemCreated; the consumer is `<module>.<name>`. */
  name: string;
  event: Event<P>;
  prepare?(message: EventMessage<z.output<P>>): Promise<C>;
  /** prepared is what prepare resolved to (undefined without prepare). */
  handle(message: EventMessage<z.output<P>>, tx: Tx, prepared?: C): Promise<void>;
}

/** Declares a subscription, typing its handler by the event's payload schema (and by what prepare fetched). */
export function on<P extends z.ZodType, C = unknown>(
  event: Event<P>,
  name: string,
  handle: (message: EventMessage<z.output<P>>, tx: Tx, prepared: C) => Promise<void>,
  prepare?: (message: EventMessage<z.output<P>>) => Promise<C>,
): SubscriptionSpec {
  return { name, event, handle, ...(prepare ? { prepare } : {}) } as SubscriptionSpec;
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
