import type { Logger } from '../observability/logger.ts';
import type { EventMessage } from './envelope.ts';
import type { BoundSubscription } from './subscription.ts';
import type { DeliveryPolicy, EventTransport } from './transport.ts';

/**
 * The monolith's transport: publishing delivers to every local subscriber before it resolves,
 * so the relay marks outbox rows sent only once each subscriber applied or dead-lettered them.
 */
export class InProcessTransport implements EventTransport {
  private readonly subscriptions = new Map<string, BoundSubscription[]>();
  private stopped = false;

  constructor(private readonly options: { policy: DeliveryPolicy; log: Logger }) {}

  async publish(messages: EventMessage[]): Promise<void> {
    for (const message of messages) {
      for (const subscription of this.subscriptions.get(message.envelope.event) ?? []) {
        await this.deliver(subscription, message);
      }
    }
  }

  async subscribe(subscription: BoundSubscription): Promise<void> {
    const list = this.subscriptions.get(subscription.event) ?? [];
    list.push(subscription);
    this.subscriptions.set(subscription.event, list);
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  private async deliver(subscription: BoundSubscription, message: EventMessage): Promise<void> {
    const { maxAttempts, retryDelayMs } = this.options.policy;
    for (let attempt = 1; ; attempt++) {
      try {
        await subscription.apply(message);
        return;
      } catch (error) {
        if (attempt >= maxAttempts) return subscription.deadLetter(message, error, attempt);
        // Stopping: leave the row unsent; it is redelivered after restart.
        if (this.stopped) throw error;
        this.options.log.warn({ consumer: subscription.consumer, attempt, err: (error as Error).message }, 'delivery failed, retrying');
        await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
}
