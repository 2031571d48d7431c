import { moduleDatabaseUrl, type Config } from '../shared/config/config.ts';
import { DataDirLockedError } from '../shared/db/data-dir-lock.ts';
import { DatabaseUnreachableError } from '../shared/db/errors.ts';
import { PLATFORM } from '../shared/db/platform-schema.ts';

/**
 * Runs a runtime's start-up. A failure is one line on stderr naming its cause (an unreachable
 * database and the variable that points at it, a port in use, a data directory held by another
 * process), never a stack trace, then exit code 1.
 */
export async function startUp<T>(runtime: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    process.stderr.write(`Shareloop ${runtime} could not start: ${startUpFailure(error)}\n`);
    process.exit(1);
  }
}

/** The one-line cause of a start-up failure. */
export function startUpFailure(error: unknown, env: Record<string, string | undefined> = process.env): string {
  if (error instanceof DataDirLockedError) return error.message;
  if (error instanceof DatabaseUnreachableError) {
    const names = Object.keys(env).filter((name) => name.endsWith('DATABASE_URL') && env[name] === error.url);
    return `${names.length > 0 ? names.join(' / ') : 'the database URL'}: ${error.message}`;
  }
  const { code, port, address } = error as { code?: string; port?: number; address?: string };
  if (code === 'EADDRINUSE')
    return `port ${port ?? '?'}${address ? ` on ${address}` : ''} is already in use (stop what listens there, or set PORT)`;
  if (code === 'EACCES' && port !== undefined) return `no permission to listen on port ${port} (set PORT above 1023)`;
  if (code === 'EADDRNOTAVAIL') return `HOST ${address ?? ''} is not an address of this machine`;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** True when some of these modules (or the platform's own tables) live in the embedded PGlite under DATA_DIR. */
export function usesEmbeddedDatabase(config: Config, modules: readonly string[]): boolean {
  return [...modules, PLATFORM].some((module) => !moduleDatabaseUrl(module, config));
}

/** The URL at which this machine reaches a server bound to host:port. */
export function localUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return `http://127.0.0.1:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
