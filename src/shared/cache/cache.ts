/** A small key/value cache with TTLs: in-memory in one process, Redis when shared. */
export interface Cache {
  get(key: string): Promise<string | undefined>;
  /** Several keys in one round trip, in order. */
  getMany(keys: string[]): Promise<(string | undefined)[]>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Stores value only if key holds nothing (a read filling a miss never overwrites a newer write); true if stored. */
  add(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  del(...keys: string[]): Promise<void>;
  close(): Promise<void>;
}

/** Reads a JSON value through the cache, loading and storing it on a miss (cache-aside). */
export async function cached<T>(cache: Cache, key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
  const hit = await cache.get(key);
  if (hit !== undefined) return JSON.parse(hit) as T;
  const value = await load();
  if (value !== undefined) await cache.set(key, JSON.stringify(value), ttlSeconds);
  return value;
}
