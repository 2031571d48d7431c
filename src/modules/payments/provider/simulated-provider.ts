import { randomUUID } from 'node:crypto';
import type { ChargeOutcome, PaymentProvider } from './payment-provider.ts';
import type { ProviderSettings } from './provider-settings.ts';

/**
 * A stand-in for a real payment provider: answers after the configured latency, failing or
 * declining the configured share of charges. `random` is injectable for tests.
 */
export function simulatedProvider(settings: ProviderSettings, random: () => number = Math.random): PaymentProvider {
  return {
    accepts(currency) {
      return settings.currencies.length === 0 || settings.currencies.includes(currency);
    },
    async charge(_request, signal): Promise<ChargeOutcome> {
      if (!(await waited(settings.latencyMs, signal)))
        return { status: 'unavailable', reason: 'The payment provider did not answer in time.' };
      if (random() < settings.failureRate)
        return { status: 'unavailable', reason: 'The payment provider failed to process the charge.' };
      if (random() < settings.declineRate)
        return { status: 'declined', reason: 'The payment provider declined the charge.' };
      return { status: 'succeeded', reference: `sim_${randomUUID()}` };
    },
  };
}

/** Resolves true after ms, or false as soon as the signal aborts. */
function waited(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', aborted);
      resolve(value);
    };
    const aborted = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', aborted, { once: true });
  });
}
