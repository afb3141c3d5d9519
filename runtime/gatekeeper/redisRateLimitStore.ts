// RateLimitStore on redis-gatekeeper: each acquire or charge is one EVALSHA of gcra.lua (the GCRA
// of machines/gcra.ts, on the server's clock), through a fail-fast connection (connection.ts).
// Acquires of one bucket that arrive while a call for it is in flight share the next call.
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
/** EVALSHA arguments: sha, numkeys, key, mode, rate, burst, amount[, count]. */
type GcraArgs =
  | [string, 1, string, 'acquire' | 'charge', number, number, number]
  | [string, 1, string, 'acquire', number, number, number, number];

/** Acquires of one bucket (key, limit and cost alike) waiting for the call in flight to end. */
interface AcquireGroup {
  args: [string, 1, string, 'acquire', number, number, number];
  waiting: { resolve: (r: ServerAcquireResult) => void; reject: (e: unknown) => void }[];
}

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

/**
 * The i-th answer of a shared call: the first `granted` requests were granted; every refused one
 * gets the wait for the next token, as separate calls at that instant would.
 */
function shareOf(reply: GcraReply, i: number): ServerAcquireResult {
  const granted = Number(reply[0]);
  const at = Number(reply[3]) / 1000;
  if (i < granted)
    return { granted: true, waitMs: 0, remaining: i === granted - 1 ? Number(reply[2]) : 0, at };
  return { granted: false, waitMs: Number(reply[1]) / 1000, remaining: 0, at };
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
  const evalsha = redis.evalsha.bind(redis) as (...args: GcraArgs) => Promise<GcraReply>;
  function send<T>(op: string, args: GcraArgs, map: (reply: GcraReply) => T): Promise<T> {
    const fail = (e: unknown): never => {
      throw toTgError(e, op);
    };
    return evalsha(...args).then(map, (e: unknown) => {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) fail(e);
      loading ??= redis.script('LOAD', GCRA_LUA).finally(() => (loading = undefined));
      return loading.then(() => evalsha(...args)).then(map, fail);
    });
  }
  function run<T>(op: string, args: GcraArgs, map: (reply: GcraReply) => T): Promise<T> {
    const wait = conn.usable(op);
    return wait ? wait.then(() => send(op, args, map)) : send(op, args, map);
  }

  /**
   * Single flight per bucket: an acquire with no call of its bucket in flight goes at once (so a lone
   * caller pays exactly one round trip); those that arrive meanwhile are decided together, in arrival
   * order, by the next call. The script decides each as a separate call at that instant would.
   */
  const groups = new Map<string, AcquireGroup>();
  function flush(id: string, group: AcquireGroup): void {
    const batch = group.waiting;
    if (batch.length === 0) {
      groups.delete(id);
      return;
    }
    group.waiting = [];
    const args: GcraArgs = batch.length === 1 ? group.args : [...group.args, batch.length];
    run('acquire', args, (reply) => reply).then(
      (reply) => {
        batch.forEach((w, i) => w.resolve(shareOf(reply, i)));
        flush(id, group);
      },
      (e: unknown) => {
        for (const w of batch) w.reject(e);
        flush(id, group);
      },
    );
  }

  return {
    acquire(key, limit, cost = 1) {
      const bad = badLimit(limit, cost);
      if (bad) return Promise.reject(bad);
      const id = `${limit.ratePerSec}|${limit.burst}|${cost}|${key}`;
      let group = groups.get(id);
      if (group) {
        return new Promise<ServerAcquireResult>((resolve, reject) =>
          group!.waiting.push({ resolve, reject }),
        );
      }
      group = {
        args: [GCRA_SHA, 1, prefix + key, 'acquire', limit.ratePerSec, limit.burst, cost],
        waiting: [],
      };
      groups.set(id, group);
      const g = group;
      const done = () => flush(id, g);
      const first = run('acquire', g.args, toResult);
      first.then(done, done);
      return first;
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
