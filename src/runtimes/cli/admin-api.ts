import type { InputOf, Op, OutputOf } from '../../shared/bus/contract.ts';

/** How an operator command authenticates to a server's admin API, from its environment. */
export interface AdminCredentials {
  token?: string;
  email?: string;
  password?: string;
}

/** ADMIN_TOKEN (an admin's access token), else ADMIN_EMAIL + ADMIN_PASSWORD (the bootstrap admin, logged in). */
export function adminCredentials(env: Record<string, string | undefined> = process.env): AdminCredentials | undefined {
  if (env.ADMIN_TOKEN) return { token: env.ADMIN_TOKEN };
  if (env.ADMIN_EMAIL && env.ADMIN_PASSWORD) return { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD };
  return undefined;
}

/** A problem answered by the server, or no answer at all. */
export class AdminApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminApiError';
  }
}

/**
 * Calls contract ops through a running server's public routes (their HTTP hints), as an
 * admin: what operator commands use when a server holds the database.
 */
export class AdminApi {
  private token: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly credentials: AdminCredentials,
    private readonly timeoutMs = 30_000,
  ) {
    this.token = credentials.token;
  }

  /** Runs op with input as the route the op's HTTP hint describes. */
  async call<O extends Op>(op: O, input: InputOf<O>): Promise<OutputOf<O>> {
    const hint = op.http;
    if (!hint) throw new AdminApiError(`${op.name} has no HTTP route`);
    const rest: Record<string, unknown> = { ...(input as Record<string, unknown>) };
    const path = hint.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = rest[name];
      delete rest[name];
      return encodeURIComponent(String(value));
    });
    const query = new URLSearchParams();
    for (const name of hint.query ?? []) {
      if (rest[name] !== undefined) query.set(name, String(rest[name]));
      delete rest[name];
    }
    const body = hint.method === 'get' || hint.method === 'delete' ? undefined : rest;
    return (await this.request(
      hint.method.toUpperCase(),
      `${path}${query.size > 0 ? `?${query}` : ''}`,
      body,
      true,
    )) as OutputOf<O>;
  }

  /** GET /readyz: whether the server and its databases answer. */
  async ready(): Promise<boolean> {
    const response = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(this.timeoutMs) }).catch(
      () => undefined,
    );
    return response?.status === 200;
  }

  private async request(method: string, path: string, body: unknown, authenticated: boolean): Promise<unknown> {
    if (authenticated && !this.token) this.token = await this.logIn();
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (authenticated) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.timeoutMs),
    }).catch((error: unknown) => {
      throw new AdminApiError(`no answer from ${this.baseUrl} (${(error as Error).message})`);
    });
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    if (!response.ok) {
      const problem = parsed as { code?: string; detail?: string; title?: string } | undefined;
      throw new AdminApiError(
        `${method} ${path} answered ${response.status}${problem?.code ? ` ${problem.code}` : ''}: ${problem?.detail ?? problem?.title ?? text.slice(0, 200)}`,
      );
    }
    return parsed;
  }

  private async logIn(): Promise<string> {
    const { email, password } = this.credentials;
    const tokens = (await this.request('POST', '/v1/auth/login', { email, password }, false)) as {
      accessToken: string;
    };
    return tokens.accessToken;
  }
}
