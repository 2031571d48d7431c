import { AppError } from '../bus/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { jsonDifferences } from './json-differences.ts';
import type { RolloutMetrics } from './rollout-metrics.ts';

/** The comparable outcome of a call: its output, or its error code. */
export type CallOutcome = { output: unknown } | { error: string };

/** Options of {@link ShadowMirror}. */
export interface ShadowMirrorOptions {
  module: string;
  /** Mirrors in flight at most; beyond, a sampled call is skipped (counted), never queued. */
  concurrency: number;
  metrics: RolloutMetrics;
  log: Logger;
}

/**
 * Mirrors sampled read-only calls to a shadow version after their stable answer was returned
 * (fire-and-forget), compares the two answers and counts matches and mismatches, logging the
 * JSON paths that differ. The shadow's answer never reaches a client.
 */
export class ShadowMirror {
  private inFlight = 0;

  constructor(private readonly options: ShadowMirrorOptions) {}

  /** Starts a mirror (`send` calls a shadow instance) of a call whose stable outcome is `stable`; returns at once. */
  mirror(op: string, stable: CallOutcome, send: () => Promise<unknown>): void {
    const { module, metrics, concurrency } = this.options;
    if (this.inFlight >= concurrency) {
      metrics.shadowComparisons.inc({ module, outcome: 'skipped' });
      return;
    }
    this.inFlight++;
    // After the client's answer: nothing of the shadow runs on the client's path.
    setImmediate(() => {
      void this.compare(op, stable, send).finally(() => {
        this.inFlight--;
      });
    });
  }

  private async compare(op: string, stable: CallOutcome, send: () => Promise<unknown>): Promise<void> {
    const { module, metrics, log } = this.options;
    let shadow: CallOutcome;
    try {
      shadow = { output: await send() };
    } catch (error) {
      if (!(error instanceof AppError) || error.kind === 'timeout' || error.kind === 'unavailable') {
        metrics.shadowComparisons.inc({ module, outcome: 'failed' });
        log.warn({ module, op, err: (error as Error).message }, 'rollout: shadow call failed');
        return;
      }
      shadow = { error: error.code };
    }
    const paths = jsonDifferences(stable, shadow);
    metrics.shadowComparisons.inc({ module, outcome: paths.length === 0 ? 'match' : 'mismatch' });
    if (paths.length === 0) return;
    // Indices folded, so the label's values stay as few as the schema's fields.
    for (const path of new Set(paths.map((p) => p.replace(/\[\d+\]/g, '[]'))))
      metrics.mismatchPaths.inc({ module, op, path });
    log.warn({ module, op, paths }, 'rollout: shadow answer differs from stable');
  }
}
