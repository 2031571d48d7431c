import type { RemoteTransport } from '../bus/bus.ts';
import type { Op } from '../bus/contract.ts';
import type { CallContext } from '../bus/context.ts';
import { AppError } from '../bus/errors.ts';
import type { InstanceSelector } from '../bus/http-transport.ts';
import type { Instance } from '../discovery/discovery-source.ts';
import { UNKNOWN_VERSION, type BalancingStrategy, type InstancePool } from '../discovery/instance-pool.ts';
import type { Logger } from '../observability/logger.ts';
import { HopFailure } from '../resilience/hop-failure.ts';
import type { Endpoint } from '../resilience/target-policy.ts';
import { CanaryJudge } from './canary-judge.ts';
import { canarySplit } from './canary-split.ts';
import { primaryVersion, type RolloutPlan } from './rollout-plan.ts';
import type { RolloutMetrics } from './rollout-metrics.ts';
import type { RolloutSettings } from './rollout-settings.ts';
import type { RolloutStore } from './rollout-store.ts';
import { ShadowMirror } from './shadow-mirror.ts';

/** Options of {@link VersionRouter}. */
export interface VersionRouterOptions {
  module: string;
  pool: InstancePool;
  strategy: BalancingStrategy;
  store: RolloutStore;
  settings: RolloutSettings;
  metrics: RolloutMetrics;
  log: Logger;
}

type CanaryPlan = Extract<RolloutPlan, { mode: 'canary' }>;

/** Error kinds that count against a version: the instance failed, not the caller's input. */
const FAILURE_KINDS = new Set(['internal', 'unavailable', 'timeout']);

/**
 * Routes one module's calls by its rollout plan (see RolloutStore): pinned to a version, a
 * sticky weighted canary judged against stable (rolled back or promoted by itself), or stable
 * with a sample of queries mirrored to a shadow. Without a plan, any healthy instance.
 */
export class VersionRouter {
  private judge: { planId: string; judge: CanaryJudge; deciding: boolean } | undefined;
  private split: { planId: string; inCanary: (key: string) => boolean } | undefined;
  private readonly mirror: ShadowMirror;

  constructor(private readonly options: VersionRouterOptions) {
    this.mirror = new ShadowMirror({
      module: options.module,
      concurrency: options.settings.shadowConcurrency,
      metrics: options.metrics,
      log: options.log,
    });
  }

  /** Picks instances for the module's calls by plan, and records each outcome by version. */
  selector(): InstanceSelector {
    const { pool, strategy } = this.options;
    return {
      pick: (avoid, key) => {
        const plan = this.options.store.plan(this.options.module);
        const version = primaryVersion(plan, () => this.inCanary(plan as CanaryPlan, key));
        const excluded = plan?.mode === 'shadow' ? plan.shadow : undefined;
        const group = version === undefined ? undefined : pool.healthyByVersion().get(version);
        // No plan: the balancing strategy over every healthy instance, as without rollouts.
        const first = group
          ? pool.pick(strategy, key, version)
          : version === undefined
            ? pool.pick(strategy, key)
            : this.anyBut(excluded, avoid);
        if (first && !avoid.has(first.id)) return first;
        // Retries go to another instance of the same version, else to any other (a failed canary call lands on stable).
        return pickFrom(group?.filter((i) => !avoid.has(i.id))) ?? this.anyBut(excluded, avoid) ?? first;
      },
      begin: (endpoint) => {
        const release = pool.acquire(endpoint);
        const started = performance.now();
        return (ok, error) => {
          release();
          if (ok) pool.reportSuccess(endpoint);
          else pool.reportFailure(endpoint);
          this.observe(endpoint, ok, error, performance.now() - started);
        };
      },
    };
  }

  /** Picks only instances of the shadow version (for the transport that sends mirrored calls). */
  shadowSelector(): InstanceSelector {
    const { pool, strategy } = this.options;
    return {
      pick: (avoid, key) => {
        const plan = this.options.store.plan(this.options.module);
        if (plan?.mode !== 'shadow') return undefined;
        const first = pool.pick(strategy, key, plan.shadow);
        return first && !avoid.has(first.id) ? first : undefined;
      },
      begin: (endpoint) => pool.acquire(endpoint),
    };
  }

  /** `transport` for the module's calls, with sampled queries mirrored through `shadow` while a shadow plan holds. */
  withShadow(transport: RemoteTransport, shadow: RemoteTransport): RemoteTransport {
    return {
      call: (op: Op, input: unknown, ctx: CallContext) => {
        const plan = this.options.store.plan(this.options.module);
        const sampled =
          plan?.mode === 'shadow' &&
          op.kind === 'query' &&
          Math.random() < plan.sample &&
          this.options.pool.healthyByVersion().has(plan.shadow);
        if (!sampled) return transport.call(op, input, ctx);
        const send = () =>
          shadow.call(op, input, { ...ctx, deadline: Date.now() + this.options.settings.shadowTimeoutMs });
        return transport.call(op, input, ctx).then(
          (output) => {
            this.mirror.mirror(op.name, { output }, send);
            return output;
          },
          (error: unknown) => {
            if (error instanceof AppError && !FAILURE_KINDS.has(error.kind))
              this.mirror.mirror(op.name, { error: error.code }, send);
            throw error;
          },
        );
      },
    };
  }

  private inCanary(plan: CanaryPlan, key: string | undefined): boolean {
    if (key === undefined) return Math.random() < plan.weight;
    if (this.split?.planId !== plan.id) this.split = { planId: plan.id, inCanary: canarySplit(plan.weight) };
    return this.split.inCanary(key);
  }

  private anyBut(version: string | undefined, avoid: ReadonlySet<string>): Instance | undefined {
    return pickFrom(
      this.options.pool.healthy().filter((i) => !avoid.has(i.id) && (version === undefined || i.version !== version)),
    );
  }

  private observe(endpoint: Endpoint, ok: boolean, error: unknown, ms: number): void {
    const { module, metrics } = this.options;
    // A draining instance refused the call before running it: no verdict on its version.
    if (error instanceof HopFailure && error.reason === 'draining') return;
    const failed = !ok || (error instanceof AppError && FAILURE_KINDS.has(error.kind));
    const version = (endpoint as Instance).version ?? UNKNOWN_VERSION;
    metrics.versionCalls.inc({ module, version, outcome: failed ? 'error' : 'ok' });
    const plan = this.options.store.plan(module);
    if (plan?.mode !== 'canary') return;
    const side = version === plan.canary ? 'canary' : version === plan.stable ? 'stable' : undefined;
    if (!side) return;
    if (this.judge?.planId !== plan.id)
      this.judge = { planId: plan.id, judge: new CanaryJudge(this.options.settings.canary), deciding: false };
    const current = this.judge;
    current.judge.record(side, !failed, ms);
    if (current.deciding) return;
    const verdict = current.judge.verdict();
    if (verdict.outcome === 'continue') return;
    current.deciding = true;
    void this.decide(plan, verdict).catch((err: unknown) => {
      current.deciding = false;
      this.options.log.warn({ module, err: (err as Error).message }, 'rollout: canary decision not saved');
    });
  }

  private async decide(
    plan: CanaryPlan,
    verdict: Exclude<ReturnType<CanaryJudge['verdict']>, { outcome: 'continue' }>,
  ): Promise<void> {
    const { module, store, metrics, log } = this.options;
    const rollback = verdict.outcome === 'rollback';
    const applied = await store.replace(module, plan.id, {
      mode: 'pinned',
      version: rollback ? plan.stable : plan.canary,
      reason: rollback ? 'rolled-back' : 'promoted',
    });
    if (!applied) return; // another process decided first
    const outcome = rollback ? 'rolled_back' : 'promoted';
    metrics.decisions.inc({ module, outcome });
    const details = {
      module,
      outcome,
      stableVersion: plan.stable,
      canaryVersion: plan.canary,
      reason: verdict.reason,
      canaryCalls: verdict.canary,
      stableCalls: verdict.stable,
    };
    if (rollback) log.warn(details, `rollout: canary ${plan.canary} of ${module} rolled back: ${verdict.reason}`);
    else log.info(details, `rollout: canary ${plan.canary} of ${module} promoted: ${verdict.reason}`);
  }
}

function pickFrom(instances: readonly Instance[] | undefined): Instance | undefined {
  if (!instances || instances.length === 0) return undefined;
  return instances[Math.floor(Math.random() * instances.length)];
}
