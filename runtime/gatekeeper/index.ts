// The live gatekeeper store: createRedisRateLimitStore connects to redis-gatekeeper (GATEKEEPER_REDIS_URL)
// and serves the RateLimitStore port with the GCRA Lua script in gcra.lua.
import { Redis } from 'ioredis';
import { gatekeeperRedisOptions, type ConnectionLog } from './connection.ts';
import { redisRateLimitStoreOn, type RedisRateLimitStore } from './redisRateLimitStore.ts';
import { withTransitAllowance } from './transitAllowance.ts';

export { GCRA_LUA, GCRA_SHA, redisRateLimitStoreOn } from './redisRateLimitStore.ts';
export type {
  RedisRateLimitStore,
  ServerAcquireResult,
  RateLimitStoreOnClientOptions,
} from './redisRateLimitStore.ts';
export { LIVE_TRANSIT_ALLOWANCE_MS, spacedForTransit, withTransitAllowance } from './transitAllowance.ts';
export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  GATEKEEPER_DEPENDENCY,
  gatekeeperRedisOptions,
  type ConnectionLog,
} from './connection.ts';

export interface RedisRateLimitStoreOptions {
  url: string;
  /** Prepended to every bucket key (keys arrive as tg:rl:{broker}:{fingerprint}); default none. */
  prefix?: string;
  /** Per-call timeout; match config gatekeeper.slowCallMs (default 100). */
  commandTimeoutMs?: number;
  /** Connection name shown in CLIENT LIST. */
  name?: string;
  log?: ConnectionLog;
  /** Grant-to-arrival jitter to space grants for (transitAllowance.ts); default 0, exact spacing. */
  transitAllowanceMs?: number;
}

/** Connects in the background at once; calls made before the first connect wait up to the timeout. */
export function createRedisRateLimitStore(o: RedisRateLimitStoreOptions): RedisRateLimitStore {
  const redis = new Redis(
    o.url,
    gatekeeperRedisOptions({ commandTimeoutMs: o.commandTimeoutMs, name: o.name }),
  );
  const store = redisRateLimitStoreOn(redis, {
    prefix: o.prefix,
    commandTimeoutMs: o.commandTimeoutMs,
    log: o.log,
  });
  return withTransitAllowance(store, o.transitAllowanceMs ?? 0);
}
