import { z } from 'zod';
import { envSettings } from '../../../shared/config/env-settings.ts';

const rate = z.coerce.number().min(0).max(1);

/** The simulated payment provider's behaviour, from the environment (all optional). */
const settingsSchema = z.object({
  // Share of charges that fail as if the provider were down (providerUnavailable).
  PAYMENT_PROVIDER_FAILURE_RATE: rate.default(0),
  // Share of the remaining charges the provider declines (paymentDeclined).
  PAYMENT_PROVIDER_DECLINE_RATE: rate.default(0),
  PAYMENT_PROVIDER_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  // A charge slower than this is abandoned as providerUnavailable (and takes no money).
  PAYMENT_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(2_000),
  // Currencies the provider settles; empty means every ISO 4217 currency.
  PAYMENT_PROVIDER_CURRENCIES: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim().toUpperCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[A-Z]{3}$/, 'must list ISO 4217 codes such as EUR,USD')))
    .default([]),
});

export interface ProviderSettings {
  failureRate: number;
  declineRate: number;
  latencyMs: number;
  timeoutMs: number;
  currencies: readonly string[];
}

/** Reads the provider settings; throws one line naming the first bad variable. */
export function providerSettingsFrom(env: Record<string, string | undefined>): ProviderSettings {
  const s = envSettings(settingsSchema, env, 'PAYMENT_PROVIDER_');
  return {
    failureRate: s.PAYMENT_PROVIDER_FAILURE_RATE,
    declineRate: s.PAYMENT_PROVIDER_DECLINE_RATE,
    latencyMs: s.PAYMENT_PROVIDER_LATENCY_MS,
    timeoutMs: s.PAYMENT_PROVIDER_TIMEOUT_MS,
    currencies: s.PAYMENT_PROVIDER_CURRENCIES,
  };
}
