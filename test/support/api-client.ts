import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { eventually } from './eventually.ts';

const DAY = 86_400_000;

type Member = { accessToken: string };

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

  /** Logs in, waiting out the 503s of a just-started split deployment whose gateway does not see every service yet. */
  function loginOnceReady(email: string, password: string) {
    return eventually(
      'an answer other than 503 to the login',
      async () => {
        const reply = await request('POST', '/v1/auth/login', { body: { email, password } });
        return reply.status !== 503 && reply;
      },
      30_000,
    );
  }

  /** Sends a fresh Idempotency-Key when asked, to exercise the key store as clients do. */
  const keyed = (idempotencyKeys: boolean | undefined) =>
    idempotencyKeys ? { headers: { 'idempotency-key': randomUUID() } } : {};

  /** The renter rents the item from `fromDay` days after today (UTC midnight) for `days` days; returns the rental id. */
  async function rent(
    renter: Member,
    itemId: string,
    fromDay: number,
    options: { days?: number; idempotencyKeys?: boolean } = {},
  ) {
    const start = Math.floor(Date.now() / DAY) * DAY + fromDay * DAY;
    const created = await request('POST', '/v1/rentals', {
      token: renter.accessToken,
      body: {
        itemId,
        from: new Date(start).toISOString(),
        to: new Date(start + (options.days ?? 2) * DAY).toISOString(),
      },
      ...keyed(options.idempotencyKeys),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id as string;
  }

  /**
   * The owner lists an item (EUR prices), the renter tops up 500 EUR and rents it from today for
   * two days (a started period is handed over at once), and the owner takes it back.
   */
  async function rentAndReturn(
    owner: Member,
    renter: Member,
    listing: { title: string; category: string; dailyPrice: number; deposit: number; idempotencyKeys?: boolean },
  ): Promise<{ itemId: string; rentalId: string }> {
    const item = await request('POST', '/v1/items', {
      token: owner.accessToken,
      body: {
        title: listing.title,
        category: listing.category,
        dailyPrice: { amount: listing.dailyPrice, currency: 'EUR' },
        deposit: { amount: listing.deposit, currency: 'EUR' },
        condition: 'good',
      },
      ...keyed(listing.idempotencyKeys),
    });
    assert.equal(item.status, 201, JSON.stringify(item.body));
    const topUp = await request('POST', '/v1/wallet/top-ups', {
      token: renter.accessToken,
      body: { amount: 50_000, currency: 'EUR' },
    });
    assert.equal(topUp.status, 201, JSON.stringify(topUp.body));
    const rentalId = await rent(renter, item.body.id, 0, listing);
    const returned = await request('POST', `/v1/rentals/${rentalId}/return`, { token: owner.accessToken });
    assert.equal(returned.status, 200, JSON.stringify(returned.body));
    return { itemId: item.body.id, rentalId };
  }

  return { request, newUser, loginOnceReady, rent, rentAndReturn };
}
