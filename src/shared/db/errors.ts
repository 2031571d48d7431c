import { parsePostgresUrl } from './postgres-url.ts';

/** The SQLSTATE of a database error, looking through drizzle's wrapper. */
export function sqlState(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** True when the error is a unique-constraint violation (optionally of one constraint). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (sqlState(error) !== '23505') return false;
  if (!constraint) return true;
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const name =
      (e as { constraint_name?: string; constraint?: string }).constraint_name ??
      (e as { constraint?: string }).constraint;
    if (name) return name === constraint;
  }
  return false;
}

/** A database that did not answer when first opened (down, wrong address, credentials or name). */
export class DatabaseUnreachableError extends Error {
  /** The URL as configured, password included: never log it (it is not enumerable). */
  declare readonly url: string;

  constructor(url: string, label: string, cause: unknown) {
    const password = passwordOf(url);
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`cannot reach the database at ${label}: ${password ? reason.replaceAll(password, '***') : reason}`);
    this.name = 'DatabaseUnreachableError';
    Object.defineProperty(this, 'url', { value: url, enumerable: false });
  }
}

function passwordOf(url: string): string {
  const parsed = parsePostgresUrl(url);
  try {
    return decodeURIComponent(new URL(parsed ? parsed.forHost(parsed.hosts[0]!) : url).password);
  } catch {
    return '';
  }
}
