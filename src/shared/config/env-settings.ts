import type { z } from 'zod';

/** Thrown when the environment is invalid; the message is one line naming the variable. */
export class ConfigError extends Error {}

/**
 * Parses settings from an environment with `schema`, reading only the variables whose names
 * start with `prefix` (a module's own, e.g. `RENTALS_`); an empty value counts as unset.
 * Throws a ConfigError with one line naming the first bad variable.
 */
export function envSettings<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  prefix = '',
): z.output<S> {
  const present = Object.fromEntries(
    Object.entries(env).filter(([key, v]) => key.startsWith(prefix) && v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ConfigError(`Invalid configuration: ${issue.path.join('.') || 'environment'} ${issue.message}`);
}
