import { type EvaluationContext, type JsonValue, OpenFeature } from '@openfeature/server-sdk';
import type { Caller } from '../bus/context.ts';
import type { Logger } from '../observability/logger.ts';
import type { EvaluatedFlags } from './evaluated-flags.ts';
import { FlagFileProvider } from './flag-file-provider.ts';

/** Evaluates every enabled flag for a request's caller, through the OpenFeature client. */
export interface EdgeFlags {
  evaluate(caller: Caller | undefined): Promise<EvaluatedFlags>;
  close(): Promise<void>;
}

/**
 * The flags of the public edge (monolith or gateway): a flagd-format file behind an
 * OpenFeature provider bound to its own domain. The evaluation context is the caller: the
 * user id is the targeting key (so `fractional` buckets a user stably) and `role` is an
 * attribute; an anonymous request has neither and gets each flag's default variant.
 */
export async function openEdgeFlags(options: {
  path: string;
  log: Logger;
  domain?: string;
  pollMs?: number;
}): Promise<EdgeFlags> {
  const domain = options.domain ?? 'shareloop-edge';
  const provider = new FlagFileProvider({
    path: options.path,
    log: options.log,
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
  });
  await OpenFeature.setProviderAndWait(domain, provider);
  const client = OpenFeature.getClient(domain);
  return {
    async evaluate(caller) {
      const context: EvaluationContext = caller
        ? { targetingKey: caller.userId, userId: caller.userId, role: caller.role }
        : {};
      const flags: Record<string, { value: JsonValue; variant?: string }> = {};
      for (const [key, kind] of provider.flagKinds()) {
        const details =
          kind === 'boolean'
            ? await client.getBooleanDetails(key, false, context)
            : kind === 'string'
              ? await client.getStringDetails(key, '', context)
              : kind === 'number'
                ? await client.getNumberDetails(key, 0, context)
                : await client.getObjectDetails(key, {}, context);
        // A flag that failed to evaluate is left out: the handler falls back to its own default.
        if (details.errorCode) continue;
        flags[key] = { value: details.value, ...(details.variant ? { variant: details.variant } : {}) };
      }
      return flags;
    },
    close: () => provider.onClose(),
  };
}
