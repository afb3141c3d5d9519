// RateLimitStore on redis-gatekeeper: each acquire or charge is one EVALSHA of gcra.lua (the GCRA
// of machines/gcra.ts, on the server's clock), through a fail-fast connection (connection.ts).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { TgError } from '../../machines/errors.ts';
import type { AcquireResult, BucketLimit, RateLimitStore } from '../../ports/rateLimitStore.ts';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  guardConnection,
  toTgError,
  type ConnectionLog,
  type GuardedConnection,
} from './connection.ts';

export const GCRA_LUA = readFileSync(new URL('./gcra.lua', import.meta.url), 'utf8');

export const GCRA_SHA = createHash('sha1').update(GCRA_LUA).digest('hex');

export interface ServerAcquireResult extends AcquireResult {
  /** Server time (ms since epoch, µs precision) at which the script decided. */
  at: number;
}

export interface RedisRateLimitStore extends RateLimitStore {
  acquire(key: string, limit: BucketLimit, cost?: number): Promise<ServerAcquireResult>;
  close(): Promise<void>;
}

export interface RateLimitStoreOnClientOptions {
  /** Prepended to every key the caller passes (keys already look like tg:rl:{broker}:{fp}). */
  prefix?: string;
  commandTimeoutMs?: number;
  log?: ConnectionLog;
  /** close() quits the client only when the store owns it (default true). */
  ownsClient?: boolean;
}

/** { granted 1|0, waitUs, remaining, nowUs } (gcra.lua). */
type GcraReply = [number, number, number, number];
/** EVALSHA arguments: sha, numkeys, key, mode, rate, burst, amount. */
type GcraArgs = [string, 1, string, 'acquire' | 'charge', number, number, number];

/** A coded error for a limit the script would refuse, else undefined (checked before any I/O). */
function badLimit(limit: BucketLimit, amount: number): TgError | undefined {
  if (!(limit.ratePerSec > 0) || !Number.isFinite(limit.ratePerSec)) {
    return new TgError('TG_ERR_CONFIG', 'rate limit ratePerSec must be a positive number', { limit });
  }
  if (!(limit.burst >= 1) || !Number.isFinite(limit.burst)) {
    return new TgError('TG_ERR_CONFIG', 'rate limit burst must be at least 1', { limit });
  }
  if (!(amount >= 0) || !Number.isFinite(amount)) {
    return new TgError('TG_ERR_CONFIG', 'rate limit cost must be a non-negative number', { amount });
  }
  return undefined;
}

function toResult(reply: GcraReply): ServerAcquireResult {
  return {
    granted: Number(reply[0]) === 1,
    waitMs: Number(reply[1]) / 1000,
    remaining: Number(reply[2]),
    at: Number(reply[3]) / 1000,
  };
}

const ignore = () => undefined;

/**
 * A store over an existing ioredis client built with gatekeeperRedisOptions (the bench shares one
 * client with rate-limiter-flexible this way). createRedisRateLimitStore is the usual entry.
 */
export function redisRateLimitStoreOn(
  redis: Redis,
  o: RateLimitStoreOnClientOptions = {},
): RedisRateLimitStore {
  const prefix = o.prefix ?? '';
  const conn: GuardedConnection = guardConnection(redis, {
    commandTimeoutMs: o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    log: o.log,
    ownsClient: o.ownsClient,
  });

  /**
   * EVALSHA; on NOSCRIPT (a restarted or flushed server) SCRIPT LOAD once and retry. Concurrent
   * callers that hit NOSCRIPT together share one load. The ready path adds a single promise to
   * ioredis' own: this is the hot path the bench measures.
   */
  let loading: Promise<unknown> | undefined;
  function send<T>(op: string, args: GcraArgs, map: (reply: GcraReply) => T): Promise<T> {
    const fail = (e: unknown): never => {
      throw toTgError(e, op);
    };
    return (redis.evalsha(...args) as Promise<GcraReply>).then(map, (e: unknown) => {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) fail(e);
      loading ??= redis.script('LOAD', GCRA_LUA).finally(() => (loading = undefined));
      return loading.then(() => redis.evalsha(...args) as Promise<GcraReply>).then(map, fail);
    });
  }
  function run<T>(op: string, args: GcraArgs, map: (reply: GcraReply) => T): Promise<T> {
    const wait = conn.usable(op);
    return wait ? wait.then(() => send(op, args, map)) : send(op, args, map);
  }

  return {
    acquire(key, limit, cost = 1) {
      const bad = badLimit(limit, cost);
      if (bad) return Promise.reject(bad);
      return run(
        'acquire',
        [GCRA_SHA, 1, prefix + key, 'acquire', limit.ratePerSec, limit.burst, cost],
        toResult,
      );
    },
    charge(key, limit, tokens) {
      const bad = badLimit(limit, tokens);
      if (bad) return Promise.reject(bad);
      if (tokens <= 0) return Promise.resolve();
      return run(
        'charge',
        [GCRA_SHA, 1, prefix + key, 'charge', limit.ratePerSec, limit.burst, tokens],
        ignore,
      );
    },
    ping() {
      return conn.call('ping', (r) => r.ping().then(ignore));
    },
    close: () => conn.close(),
  };
}
