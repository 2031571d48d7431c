import type { BeginResult, IdempotencyStore, StoredResponse } from './idempotency-store.ts';

interface Entry {
  fingerprint: string;
  response: StoredResponse | undefined;
  expiresAt: number;
}

export interface MemoryIdempotencyStoreOptions {
  /** The clock, in epoch milliseconds; injectable for tests. */
  now?: () => number;
  /** At most this many keys are kept; the oldest go first. */
  maxEntries?: number;
}

/**
 * Idempotency records in this process only: right for a monolith without Redis, wrong for
 * several gateways (each would hold its own keys). Every method runs without awaiting, so
 * each is atomic within the process.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor({ now = Date.now, maxEntries = 100_000 }: MemoryIdempotencyStoreOptions = {}) {
    this.now = now;
    this.maxEntries = maxEntries;
  }

  async begin(key: string, fingerprint: string, leaseMs: number): Promise<BeginResult> {
    const entry = this.live(key);
    if (!entry) {
      this.insert(key, { fingerprint, response: undefined, expiresAt: this.now() + leaseMs });
      return 'started';
    }
    if (entry.fingerprint !== fingerprint) return 'mismatch';
    return entry.response ? { replay: entry.response } : 'in_flight';
  }

  async complete(key: string, response: StoredResponse, ttlMs: number): Promise<boolean> {
    const entry = this.live(key);
    if (!entry || entry.response) return false;
    entry.response = response;
    entry.expiresAt = this.now() + ttlMs;
    return true;
  }

  async release(key: string): Promise<void> {
    const entry = this.live(key);
    if (entry && !entry.response) this.entries.delete(key);
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private insert(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    // Drop expired entries from the old end, then the oldest while over the bound.
    for (const [oldKey, old] of this.entries) {
      if (old.expiresAt > this.now() && this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldKey);
    }
  }
}
