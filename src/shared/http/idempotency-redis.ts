import type { RedisClient } from '../cache/redis-client.ts';
import type { BeginResult, IdempotencyStore, StoredResponse } from './idempotency-store.ts';

// One hash per key: 'fingerprint' from begin (the lease: the hash expires after leaseMs),
// 'response' from complete (the hash then lives for the retention time).
const BEGIN_LUA = `
local fingerprint = redis.call('HGET', KEYS[1], 'fingerprint')
if not fingerprint then
  redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return { 'started' }
end
if fingerprint ~= ARGV[1] then return { 'mismatch' } end
local response = redis.call('HGET', KEYS[1], 'response')
if not response then return { 'in_flight' } end
return { 'replay', response }
`;

const COMPLETE_LUA = `
if redis.call('HEXISTS', KEYS[1], 'fingerprint') == 0 or redis.call('HEXISTS', KEYS[1], 'response') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'response', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

const RELEASE_LUA = `
if redis.call('HEXISTS', KEYS[1], 'response') == 0 then redis.call('DEL', KEYS[1]) end
return 1
`;

type Script = (key: string, ...args: string[]) => Promise<unknown>;

const COMMANDS = {
  shareloopIdempotencyBegin: BEGIN_LUA,
  shareloopIdempotencyComplete: COMPLETE_LUA,
  shareloopIdempotencyRelease: RELEASE_LUA,
};

/**
 * Idempotency records in Redis, shared by every gateway instance: each operation is one
 * atomic Lua script (EVALSHA through ioredis defineCommand), so of any number of
 * concurrent begin() calls for a key exactly one is 'started'. Leases and retention are
 * Redis expiries. Errors (Redis down) are thrown.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly scripts: Record<keyof typeof COMMANDS, Script>;

  constructor(redis: RedisClient) {
    const commands = redis as unknown as Record<string, Script | undefined>;
    for (const [name, lua] of Object.entries(COMMANDS)) {
      if (typeof commands[name] !== 'function') redis.defineCommand(name, { numberOfKeys: 1, lua });
    }
    this.scripts = Object.fromEntries(
      Object.keys(COMMANDS).map((name) => [name, commands[name]!.bind(redis)]),
    ) as typeof this.scripts;
  }

  async begin(key: string, fingerprint: string, leaseMs: number): Promise<BeginResult> {
    const [state, response] = (await this.scripts.shareloopIdempotencyBegin(
      key,
      fingerprint,
      String(Math.max(1, Math.ceil(leaseMs))),
    )) as [string, string?];
    if (state === 'replay') return { replay: JSON.parse(response!) as StoredResponse };
    if (state === 'started' || state === 'in_flight' || state === 'mismatch') return state;
    throw new Error(`unexpected idempotency state ${state}`);
  }

  async complete(key: string, response: StoredResponse, ttlMs: number): Promise<boolean> {
    const stored = await this.scripts.shareloopIdempotencyComplete(
      key,
      JSON.stringify(response),
      String(Math.max(1, Math.ceil(ttlMs))),
    );
    return stored === 1;
  }

  async release(key: string): Promise<void> {
    await this.scripts.shareloopIdempotencyRelease(key);
  }
}
