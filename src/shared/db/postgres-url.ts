/** One server named in a PostgreSQL connection URL. */
export interface PgHost {
  host: string;
  port: number;
}

/** A PostgreSQL URL that may name several hosts (`postgres://u@h1:5432,h2:5433/db`), taken apart. */
export interface PostgresUrl {
  hosts: PgHost[];
  /** The URL for one of its hosts alone (same user, password, database and parameters). */
  forHost(host: PgHost): string;
}

const urlShape = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]+)(\/[^?#]*)?(\?[^#]*)?$/;

/**
 * Parses a postgres:// URL with one or several comma-separated hosts (WHATWG URL and zod's
 * z.url() reject the latter); undefined when it is not one.
 */
export function parsePostgresUrl(url: string): PostgresUrl | undefined {
  const match = urlShape.exec(url);
  if (!match) return undefined;
  const [, scheme, userInfo = '', hostList, path = '', query = ''] = match as unknown as [
    string,
    string,
    string | undefined,
    string,
    string | undefined,
    string | undefined,
  ];
  const hosts: PgHost[] = [];
  for (const part of hostList.split(',')) {
    const hostPort = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(part.trim());
    if (!hostPort) return undefined;
    const port = hostPort[2] ? Number(hostPort[2]) : 5432;
    if (port < 1 || port > 65535) return undefined;
    hosts.push({ host: hostPort[1]!, port });
  }
  const single = (h: PgHost) => `${scheme}${userInfo}${h.host}:${h.port}${path}${query}`;
  try {
    new URL(single(hosts[0]!));
  } catch {
    return undefined;
  }
  return { hosts, forHost: single };
}

/** Removes the password from a PostgreSQL URL (one or several hosts), for logs. */
export function redactPostgresUrl(url: string): string {
  const match = urlShape.exec(url);
  if (!match) return '(unparseable url)';
  const userInfo = match[2] ? `${match[2].slice(0, -1).split(':')[0]}@` : '';
  return `${match[1]}${userInfo}${match[3]}${match[4] ?? ''}`;
}
