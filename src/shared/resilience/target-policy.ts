import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type RetryPolicy,
} from 'cockatiel';
import { AppError, platformErrors } from '../bus/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { HOP_FAILURE_REASONS, HopFailure, hopFailureOf } from './hop-failure.ts';

/** Resilience knobs for one call target (a remote service). */
export interface ResilienceSettings {
  /** Per-attempt timeout; the caller's remaining deadline bounds it further. */
  timeoutMs: number;
  /** Extra attempts after the first, on other instances, for retry-safe calls. */
  retries: number;
  /** Consecutive failures that open a breaker (per instance and per service). */
  breakerThreshold: number;
  /** How long a breaker stays open before a half-open probe. */
  halfOpenAfterMs: number;
  /** Concurrent calls allowed to the target, and how many more may wait. */
  bulkheadLimit: number;
  bulkheadQueue: number;
}

export const defaultResilience: ResilienceSettings = {
  timeoutMs: 3_000,
  retries: 2,
  breakerThreshold: 5,
  halfOpenAfterMs: 5_000,
  bulkheadLimit: 256,
  bulkheadQueue: 512,
};

/** An instance a call can be sent to. */
export interface Endpoint {
  id: string;
  url: string;
}

/** One call to run through the policy. */
export interface PolicyCall<T> {
  /** Queries and idempotent commands may be retried even after they were sent. */
  retrySafe: boolean;
  /** Overrides the target's per-attempt timeout for this call. */
  timeoutMs?: number;
  deadline: number;
  /** Chooses an instance, avoiding the ids given when possible. */
  pick(avoid: ReadonlySet<string>): Endpoint | undefined;
  send(endpoint: Endpoint, signal: AbortSignal): Promise<T>;
}

const isInfrastructureFailure = handleWhen((error) => error instanceof HopFailure);
const stateName = (state: CircuitState) => CircuitState[state].toLowerCase();

/**
 * Timeout, retry with backoff and jitter onto other instances, a circuit breaker per instance
 * and one per service, and a bulkhead, for every remote call to one target service.
 */
export class TargetPolicy {
  private readonly serviceBreaker: CircuitBreakerPolicy;
  private readonly instanceBreakers = new Map<string, CircuitBreakerPolicy>();
  private readonly bulkhead: BulkheadPolicy;
  private readonly retrySafe: RetryPolicy;
  private readonly retryUnsent: RetryPolicy;

  constructor(
    private readonly target: string,
    private readonly settings: ResilienceSettings,
    private readonly observe: { log: Logger; metrics: Metrics },
  ) {
    // Every failure reason and breaker transition exported at 0 from the start, so rates and alerts have series before the first failure.
    for (const reason of HOP_FAILURE_REASONS) observe.metrics.hopFailures.inc({ target, reason }, 0);
    for (const state of ['open', 'halfopen', 'closed', 'isolated'])
      observe.metrics.breakerTransitions.inc({ target, scope: 'service', state }, 0);
    this.serviceBreaker = this.breaker('service');
    this.bulkhead = bulkhead(settings.bulkheadLimit, settings.bulkheadQueue);
    const backoff = new ExponentialBackoff({ initialDelay: 20, maxDelay: 500 });
    const maxAttempts = settings.retries;
    this.retrySafe = retry(
      handleWhen((e) => e instanceof HopFailure && e.reason !== 'no_instance'),
      { maxAttempts, backoff },
    );
    this.retryUnsent = retry(
      handleWhen((e) => e instanceof HopFailure && !e.sent && e.reason !== 'no_instance'),
      { maxAttempts, backoff },
    );
  }

  /** Whether an instance's breaker is open (callers skip it). */
  isOpen(instanceId: string): boolean {
    const breaker = this.instanceBreakers.get(instanceId);
    return breaker !== undefined && breaker.state === CircuitState.Open;
  }

  /** State of the service-wide breaker, for tests and dashboards. */
  get serviceState(): string {
    return stateName(this.serviceBreaker.state);
  }

  async execute<T>(call: PolicyCall<T>): Promise<T> {
    const tried = new Set<string>();
    const attempt = async () => {
      const remaining = call.deadline - Date.now();
      if (remaining <= 0) throw platformErrors.deadlineExceeded(this.target);
      const endpoint = this.choose(call, tried);
      if (!endpoint) throw new HopFailure('no_instance', this.target, false, `no healthy instance of ${this.target}`);
      tried.add(endpoint.id);
      try {
        // abortOnReturn off: send() returns once the reply is read, and aborting a finished call
        // built a DOMException per hop (~5 % of the gateway's CPU).
        const attemptTimeout = timeout(Math.min(call.timeoutMs ?? this.settings.timeoutMs, remaining), {
          strategy: TimeoutStrategy.Aggressive,
          abortOnReturn: false,
        });
        return await this.instanceBreaker(endpoint.id).execute(() =>
          attemptTimeout.execute(({ signal }) => call.send(endpoint, signal)),
        );
      } catch (error) {
        if (error instanceof AppError) throw error;
        const failure =
          error instanceof BrokenCircuitError
            ? new HopFailure('connect', endpoint.id, false, 'instance breaker open')
            : hopFailureOf(error, endpoint.id);
        this.observe.metrics.hopFailures.inc({ target: this.target, reason: failure.reason });
        throw failure;
      }
    };
    try {
      // The service breaker judges whole calls (after retries onto other instances); instance
      // breakers judge attempts. Judging attempts service-wide opened it when one instance of
      // two died with calls in flight, although every retry succeeded elsewhere.
      const retrying = call.retrySafe ? this.retrySafe : this.retryUnsent;
      return await this.bulkhead.execute(() => this.serviceBreaker.execute(() => retrying.execute(attempt)));
    } catch (error) {
      throw this.toAppError(error);
    }
  }

  private choose<T>(call: PolicyCall<T>, tried: ReadonlySet<string>) {
    const avoid = new Set(tried);
    for (const id of this.instanceBreakers.keys()) if (this.isOpen(id)) avoid.add(id);
    const fresh = call.pick(avoid);
    if (fresh && !avoid.has(fresh.id)) return fresh;
    // Every instance was tried: try again any whose breaker is not open.
    const again = call.pick(new Set([...avoid].filter((id) => !tried.has(id) || this.isOpen(id))));
    return again && !this.isOpen(again.id) ? again : undefined;
  }

  private toAppError(error: unknown): unknown {
    if (error instanceof AppError) return error;
    const retryAfter = Math.ceil(this.settings.halfOpenAfterMs / 1000);
    if (error instanceof BrokenCircuitError)
      return platformErrors.unavailable(`${this.target} is unavailable (circuit open).`, retryAfter);
    if (error instanceof BulkheadRejectedError) return platformErrors.unavailable(`${this.target} is overloaded.`, 1);
    if (error instanceof HopFailure) {
      if (error.reason === 'timeout')
        return new AppError('upstreamTimeout', 'timeout', `${this.target} did not answer in time.`);
      return platformErrors.unavailable(`${this.target} is unavailable.`, 1);
    }
    return error;
  }

  private instanceBreaker(id: string): CircuitBreakerPolicy {
    let breaker = this.instanceBreakers.get(id);
    if (!breaker) {
      breaker = this.breaker(id);
      this.instanceBreakers.set(id, breaker);
    }
    return breaker;
  }

  private breaker(scope: string): CircuitBreakerPolicy {
    const breaker = circuitBreaker(isInfrastructureFailure, {
      halfOpenAfter: this.settings.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.settings.breakerThreshold),
    });
    const labels = { target: this.target, scope: scope === 'service' ? 'service' : 'instance' };
    // Present from the start (closed), so dashboards and alerts see every breaker before its first transition.
    this.observe.metrics.breakerState.set({ target: this.target, scope }, CircuitState.Closed);
    breaker.onStateChange((state) => {
      const name = stateName(state);
      this.observe.metrics.breakerState.set({ target: this.target, scope }, state);
      this.observe.metrics.breakerTransitions.inc({ ...labels, state: name });
      this.observe.log.warn({ target: this.target, scope, state: name }, `circuit breaker ${name}`);
    });
    return breaker;
  }
}
