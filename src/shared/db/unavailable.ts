import { platformErrors } from '../bus/errors.ts';

const connectionCodes = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);
// read-only transaction (a standby), shutting down, crashed, starting up; class 08 is connection exceptions.
const unavailableStates = new Set(['25006', '57P01', '57P02', '57P03']);

/** True when a database error means the server is gone or cannot take writes (failover), not that the statement is wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { databaseUnavailable?: boolean }).databaseUnavailable) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (connectionCodes.has(code) || unavailableStates.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}

/** The 503 a caller sees while the database has no primary or is unreachable: retry after a second. */
export function databaseUnavailable(cause?: unknown) {
  const error = platformErrors.unavailable('The database is unavailable (failing over?); retry shortly.', 1);
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause, enumerable: false });
  return Object.assign(error, { databaseUnavailable: true });
}
