import { ExponentialBackoff, handleWhen, noJitterGenerator, retry, type RetryPolicy } from 'cockatiel';
import type { Logger } from '../observability/logger.ts';
import type { EventMessage } from './envelope.ts';
import { inLanes } from './lanes.ts';
import type { BoundSubscription } from './subscription.ts';
import type { DeliveryPolicy, EventTransport } from './transport.ts';

/**
 * The monolith's transport: publishing delivers to every local subscriber before it resolves,
 * so the relay marks outbox rows sent only once each subscriber applied or dead-lettered them.
 * The events of different aggregates are delivered side by side (up to `concurrency`), each
 * aggregate's in order; the subscribers of one event get it at the same time. A failed delivery
 * is retried with exponential backoff (cockatiel), then dead-lettered.
 */
export class InProcessTransport implements EventTransport {
  private readonly subscriptions = new Map<string, BoundSubscription[]>();
  private stopped = false;
  private readonly retries: RetryPolicy;

  constructor(private readonly options: { policy: DeliveryPolicy; concurrency: number; log: Logger }) {
    const { maxAttempts, retryDelayMs } = options.policy;
    // Stopping: a failure is not retried; the row stays unsent and is redelivered after restart.
    this.retries = retry(
      handleWhen(() => !this.stopped),
      {
        maxAttempts: maxAttempts - 1,
        backoff: new ExponentialBackoff({ initialDelay: retryDelayMs, generator: noJitterGenerator, maxDelay: 60_000 }),
      },
    );
  }

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
    let attempts = 0;
    try {
      await this.retries.execute(async ({ attempt }) => {
        attempts = attempt + 1;
        try {
          await subscription.apply(message);
        } catch (error) {
          if (attempts < this.options.policy.maxAttempts && !this.stopped)
            this.options.log.warn(
              { consumer: subscription.consumer, attempt: attempts, err: (error as Error).message },
              'delivery failed, retrying',
            );
          throw error;
        }
      });
    } catch (error) {
      if (this.stopped) throw error;
      await subscription.deadLetter(message, error, attempts);
    }
  }
}
