import { randomUUID } from 'node:crypto';

/** A response with its parsed JSON body (problem+json included). */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A tiny HTTP client for end-to-end tests against a base URL. */
export function apiClient(baseUrl: string) {
  async function request<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await fetch(baseUrl + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  /** Registers and logs in a fresh member; returns its tokens and id. */
  async function newUser(prefix = 'user') {
    const email = `${prefix}-${randomUUID().slice(0, 8)}@example.test`;
    const password = 'correct horse battery';
    const registered = await request('POST', '/v1/auth/register', { body: { email, password, displayName: prefix } });
    if (registered.status !== 201)
      throw new Error(`register failed: ${registered.status} ${JSON.stringify(registered.body)}`);
    const login = await request('POST', '/v1/auth/login', { body: { email, password } });
    return {
      id: registered.body.id as string,
      email,
      password,
      accessToken: login.body.accessToken as string,
      refreshToken: login.body.refreshToken as string,
    };
  }

  return { request, newUser };
}
