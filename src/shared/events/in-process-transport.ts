import type { Logger } from '../observability/logger.ts';
import type { EventMessage } from './envelope.ts';
import { inLanes } from './lanes.ts';
import type { BoundSubscription } from './subscription.ts';
import type { DeliveryPolicy, EventTransport } from './transport.ts';

/**
 * The monolith's transport: publishing delivers to every local subscriber before it resolves,
 * so the relay marks outbox rows sent only once each subscriber applied or dead-lettered them.
 * The events of different aggregates are delivered side by side (up to `concurrency`), each
 * aggregate's in order; the subscribers of one event get it at the same time.
 */
export class InProcessTransport implements EventTransport {
  private readonly subscriptions = new Map<string, BoundSubscription[]>();
  private stopped = false;

  constructor(private readonly options: { policy: DeliveryPolicy; concurrency: number; log: Logger }) {}

  async publish(messages: EventMessage[]): Promise<void> {
    await inLanes(
      messages,
      (m) => m.envelope.aggregateId,
      this.options.concurrency,
      async (message) => {
        const subscriptions = this.subscriptions.get(message.envelope.event) ?? [];
        const delivered = await Promise.allSettled(
          subscriptions.map((subscription) => this.deliver(subscription, message)),
        );
        const failure = delivered.find((d) => d.status === 'rejected');
        if (failure) throw failure.reason;
      },
    );
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
        this.options.log.warn(
          { consumer: subscription.consumer, attempt, err: (error as Error).message },
          'delivery failed, retrying',
        );
        await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
}
