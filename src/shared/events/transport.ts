import type { EventMessage } from './envelope.ts';
import type { BoundSubscription } from './subscription.ts';

/** How committed outbox rows reach subscribers: in-process, or Redis Streams between processes. */
export interface EventTransport {
  /** Resolves once the messages are durably handed over (or, in-process, delivered). */
  publish(messages: EventMessage[]): Promise<void>;
  /** Starts delivering an event to a subscription hosted in this process. */
  subscribe(subscription: BoundSubscription): Promise<void>;
  stop(): Promise<void>;
}

/** Retry and dead-letter policy of deliveries. */
export interface DeliveryPolicy {
  /** Attempts before a message goes to the dead-letter store. */
  maxAttempts: number;
  /** Delay before the first retry; doubles per attempt. */
  retryDelayMs: number;
}
