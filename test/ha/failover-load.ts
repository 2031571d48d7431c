/**
 * The load both failover drills run: writers listing items through the public API until
 * stopped, around a fault. Counts the writes acknowledged and how the others failed, and
 * when the first write after the fault was acknowledged.
 */
import { randomUUID } from 'node:crypto';
import type { apiClient } from '../support/api-client.ts';
import { eventually } from '../support/eventually.ts';
import { drill } from '../support/fixtures.ts';

export interface FailoverLoad {
  /** Listings that got a 201, in order, with when. */
  acknowledged: { id: string; at: number }[];
  /** Writes that failed (503 with Retry-After, or cut connections). */
  failedWrites: number;
  /** Failed writes answered with something other than 503 + Retry-After. */
  failedOtherwise: string[];
  /** When the fault was injected (0 before). */
  faultAt: number;
  /** When the first write after the fault was acknowledged (0 before). */
  firstWriteAfter: number;
  readonly running: boolean;
}

/**
 * Runs `workers` writers (and any extra loops, e.g. readers) for loadMs, injects the fault,
 * waits for a write acknowledged after it (up to recoverMs), runs loadMs more and stops.
 */
export async function aroundFault(options: {
  api: ReturnType<typeof apiClient>;
  token: string;
  workers: number;
  loadMs: number;
  recoverMs: number;
  /** A fresh Idempotency-Key on every write. */
  idempotencyKeys?: boolean;
  title: string;
  /** Listings acknowledged before the load started. */
  acknowledged?: FailoverLoad['acknowledged'];
  extra?: (load: FailoverLoad) => Promise<void>[];
  /** Injects the fault, calling injected() at the moment it strikes. */
  fault: (injected: () => void) => Promise<void>;
}): Promise<FailoverLoad> {
  let running = true;
  const load: FailoverLoad = {
    acknowledged: options.acknowledged ?? [],
    failedWrites: 0,
    failedOtherwise: [],
    faultAt: 0,
    firstWriteAfter: 0,
    get running() {
      return running;
    },
  };
  const writer = async () => {
    while (running) {
      const response = await options.api
        .request('POST', '/v1/items', {
          token: options.token,
          ...(options.idempotencyKeys ? { headers: { 'idempotency-key': randomUUID() } } : {}),
          body: drill({ title: `${options.title} ${randomUUID().slice(0, 8)}` }),
        })
        .catch((error: Error) => ({ status: 0, headers: new Headers(), body: error.message }));
      if (response.status === 201) {
        const at = Date.now();
        load.acknowledged.push({ id: response.body.id, at });
        if (load.faultAt && !load.firstWriteAfter) load.firstWriteAfter = at;
        continue;
      }
      load.failedWrites++;
      if (response.status !== 503 || !response.headers.get('retry-after'))
        load.failedOtherwise.push(`${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
      // Back off a little before the next try, as a client would.
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const loops = [...Array.from({ length: options.workers }, writer), ...(options.extra?.(load) ?? [])];
  try {
    await new Promise((r) => setTimeout(r, options.loadMs));
    await options.fault(() => {
      load.faultAt = Date.now();
    });
    await eventually('a write acknowledged after the fault', () => load.firstWriteAfter > 0, options.recoverMs);
    await new Promise((r) => setTimeout(r, options.loadMs));
  } finally {
    running = false;
    await Promise.all(loops);
  }
  return load;
}
