import postgres from 'postgres';

/** What one probe of a PostgreSQL server saw. */
export interface ServerState {
  role: 'primary' | 'standby' | 'down';
  /** WAL position: written (primary) or replayed (standby). */
  lsn: bigint;
  at: number;
}

/** Asks one server, over its own connection, whether it is a primary and how far its WAL is. */
export class ServerProbe {
  private readonly sql: postgres.Sql;
  private pending: Promise<ServerState> | undefined;

  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
  ) {
    this.sql = postgres(url, {
      max: 1,
      connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
      onnotice: () => {},
      fetch_types: false,
      prepare: false,
    });
  }

  /** The server's state now; down when it does not answer within the timeout. */
  probe(): Promise<ServerState> {
    // A probe still waiting (a stalled server) is not stacked with another.
    this.pending ??= this.ask().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async ask(): Promise<ServerState> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.timeoutMs);
    });
    const answer = this.sql<{ standby: boolean; lsn: string | null }[]>`
      select pg_is_in_recovery() as standby,
             (case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end - '0/0')::text as lsn`
      .then(([row]) => row)
      .catch(() => undefined);
    try {
      const row = await Promise.race([answer, timeout]);
      if (!row) return { role: 'down', lsn: 0n, at: Date.now() };
      return { role: row.standby ? 'standby' : 'primary', lsn: BigInt(row.lsn ?? '0'), at: Date.now() };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.sql.end({ timeout: 1 });
  }
}
