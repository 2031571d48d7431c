import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { FlagdCore } from '@openfeature/flagd-core';
import type { EvaluationContext, JsonValue, Logger as FeatureLogger } from '@openfeature/core';
import { OpenFeatureEventEmitter, type Provider, ProviderEvents } from '@openfeature/server-sdk';
import type { Logger } from '../observability/logger.ts';

/** The type of a flag's value, as its variants say. */
export type FlagKind = 'boolean' | 'string' | 'number' | 'object';

/**
 * An OpenFeature provider for a flagd-format flag file (flagd's flag definition schema:
 * state, variants, defaultVariant, JsonLogic targeting with `fractional` for percentages),
 * evaluated in-process by @openfeature/flagd-core: no flagd server. The file is polled and
 * reloaded when it changes; a file that fails to parse or validate keeps the last good flags
 * (logged), so a bad edit never turns every flag off.
 */
export class FlagFileProvider implements Provider {
  readonly metadata = { name: 'shareloop-flag-file' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly core: FlagdCore;
  private readonly onChange = (current: Stats, previous: Stats) => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) this.reload();
  };

  constructor(private readonly options: { path: string; log: Logger; pollMs?: number }) {
    this.core = new FlagdCore(undefined, featureLogger(options.log));
  }

  async initialize(): Promise<void> {
    // A missing or invalid file at start-up is a configuration error: the SDK reports the provider as failed.
    this.core.setConfigurations(readFileSync(this.options.path, 'utf8'));
    watchFile(this.options.path, { interval: this.options.pollMs ?? 500, persistent: false }, this.onChange);
  }

  async onClose(): Promise<void> {
    unwatchFile(this.options.path, this.onChange);
  }

  /** The enabled flags and the kind of value each one has. */
  flagKinds(): Map<string, FlagKind> {
    const kinds = new Map<string, FlagKind>();
    for (const [key, flag] of this.core.getFlags()) {
      if (flag.state !== 'ENABLED') continue;
      const value = flag.variants.get(flag.defaultVariant ?? '') ?? flag.variants.values().next().value;
      kinds.set(key, kindOf(value));
    }
    return kinds;
  }

  resolveBooleanEvaluation(key: string, fallback: boolean, context: EvaluationContext) {
    return Promise.resolve(this.core.resolveBooleanEvaluation(key, fallback, context));
  }

  resolveStringEvaluation(key: string, fallback: string, context: EvaluationContext) {
    return Promise.resolve(this.core.resolveStringEvaluation(key, fallback, context));
  }

  resolveNumberEvaluation(key: string, fallback: number, context: EvaluationContext) {
    return Promise.resolve(this.core.resolveNumberEvaluation(key, fallback, context));
  }

  resolveObjectEvaluation<T extends JsonValue>(key: string, fallback: T, context: EvaluationContext) {
    return Promise.resolve(this.core.resolveObjectEvaluation(key, fallback, context));
  }

  private reload(): void {
    try {
      const changed = this.core.setConfigurations(readFileSync(this.options.path, 'utf8'));
      this.options.log.info({ file: this.options.path, changed }, 'feature flags reloaded');
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
    } catch (error) {
      this.options.log.warn(
        { file: this.options.path, err: error },
        'feature flag file rejected; the last good flags stay in force',
      );
    }
  }
}

function kindOf(value: unknown): FlagKind {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  return 'object';
}

function featureLogger(log: Logger): FeatureLogger {
  return {
    error: (...args: unknown[]) => log.error({ detail: args }, 'feature flags'),
    warn: (...args: unknown[]) => log.warn({ detail: args }, 'feature flags'),
    info: () => {},
    debug: () => {},
  };
}
