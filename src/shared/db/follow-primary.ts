import { Socket, connect } from 'node:net';
import type { Replication } from './replication.ts';
import { parsePostgresUrl } from './postgres-url.ts';
import { databaseUnavailable } from './unavailable.ts';

export type { Replication };

/**
 * postgres.js options that open every new connection to the replication's current primary,
 * and fail it at once (a 503) while no primary is known, instead of postgres.js cycling
 * through standbys. A closed connection makes the replication look again.
 */
export function followPrimary(replication: Replication): { socket: () => Socket } {
  return {
    socket: () => {
      const primary = replication.primary;
      if (!primary) {
        replication.wake();
        const refused = new Socket();
        // After postgres.js has attached its listeners (it awaits this factory).
        setImmediate(() => refused.destroy(databaseUnavailable()));
        return refused;
      }
      const socket = connect(primary.port, primary.host);
      socket.once('close', () => replication.wake());
      return socket;
    },
  };
}

/** The Replication watching each multi-host URL this process opened, so other pools on it (two-phase) follow the same primary. */
export const followingPrimaries = new Map<string, Replication>();

/**
 * How another pool on url connects: to the primary its Replication follows (postgres.js given
 * the first host only), else as given (several hosts: the first that is a primary).
 */
export function primaryTarget(url: string): {
  url: string;
  options: { socket?: () => Socket; target_session_attrs?: 'primary' };
} {
  const replication = followingPrimaries.get(url);
  if (replication) return { url: replication.writeUrl, options: followPrimary(replication) };
  return { url, options: (parsePostgresUrl(url)?.hosts.length ?? 1) > 1 ? { target_session_attrs: 'primary' } : {} };
}
