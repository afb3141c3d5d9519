// The ioredis connection to redis-gatekeeper: fail fast instead of queueing (a rate-limit answer
// that comes late is worthless; the gatekeeper client falls back to its local share instead),
// reconnect in the background forever, and map every failure to a coded TgError.
import { Redis, type RedisOptions } from 'ioredis';
import { TgError, isTgError } from '../../machines/errors.ts';

export const GATEKEEPER_DEPENDENCY = 'redis-gatekeeper';

/** Matches config gatekeeper.slowCallMs: slower than this counts as down for the client anyway. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 100;

/** Optional sink for connection events (runtime/log.ts Logger fits). */
export interface ConnectionLog {
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
}

export interface GatekeeperConnectionOptions {
  commandTimeoutMs?: number;
  /** CLIENT SETNAME, to find the connection in CLIENT LIST. */
  name?: string;
}

/** ioredis options for a rate-limit connection (also used by the bench for the comparison). */
export function gatekeeperRedisOptions(o: GatekeeperConnectionOptions = {}): RedisOptions {
  return {
    lazyConnect: false,
    enableOfflineQueue: false,
    // A command in flight when the connection drops is rejected at once, and never resent: a
    // resent acquire would take a token nobody waits for any more.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(25 * times, 200),
    connectionName: o.name,
  };
}

const SERVER_BUSY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|OOM|READONLY|CLUSTERDOWN|NOSCRIPT)\b/;

/** Every failure of a call becomes TG_ERR_TIMEOUT (slow), TG_ERR_DEP_DOWN (gone) or TG_ERR_INTERNAL. */
export function toTgError(e: unknown, op: string): TgError {
  if (isTgError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  const details = { dependency: GATEKEEPER_DEPENDENCY, op, cause: message };
  if (message === 'Command timed out') {
    return new TgError('TG_ERR_TIMEOUT', `${GATEKEEPER_DEPENDENCY} did not answer ${op} in time`, details);
  }
  if (e instanceof Error && e.name === 'ReplyError' && !SERVER_BUSY.test(message)) {
    return new TgError('TG_ERR_INTERNAL', `${GATEKEEPER_DEPENDENCY} refused ${op}: ${message}`, details);
  }
  return new TgError('TG_ERR_DEP_DOWN', `${GATEKEEPER_DEPENDENCY} unavailable for ${op}`, details);
}

export interface GuardedConnection {
  redis: Redis;
  /**
   * undefined when the connection is ready (send now); a promise that settles once it is (first
   * connect, or a reconnect dialling right now); a rejected promise when the server is known gone.
   */
  usable(op: string): Promise<void> | undefined;
  /** Runs `fn` once usable, mapping its failure to a coded error. */
  call<T>(op: string, fn: (redis: Redis) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Wraps a client built with gatekeeperRedisOptions. While a connection attempt is under way (first
 * connect, or a reconnect that is dialling right now) a call waits for it up to the command timeout;
 * while the client sits between reconnect attempts the server is known to be gone, so calls fail
 * at once instead of queueing.
 */
export function guardConnection(
  redis: Redis,
  o: { commandTimeoutMs?: number; log?: ConnectionLog; ownsClient?: boolean } = {},
): GuardedConnection {
  const timeoutMs = o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  let pendingReady: Promise<void> | undefined;
  let outage = false;

  // Without an 'error' listener ioredis would crash the process on the first refused connection.
  redis.on('error', (e: Error) => {
    if (outage) return;
    outage = true;
    o.log?.warn('redis-gatekeeper connection lost; reconnecting in the background', { cause: e.message });
  });
  redis.on('ready', () => {
    if (outage) o.log?.info('redis-gatekeeper connection restored');
    outage = false;
  });

  function waitReady(op: string): Promise<void> {
    if (pendingReady) return pendingReady;
    pendingReady = new Promise<void>((resolve, reject) => {
      const done = (err?: TgError) => {
        clearTimeout(timer);
        redis.off('ready', onReady);
        redis.off('close', onClose);
        redis.off('end', onClose);
        pendingReady = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onReady = () => done();
      const onClose = () => done(toTgError(new Error('connection closed'), op));
      const timer = setTimeout(() => done(toTgError(new Error('Command timed out'), op)), timeoutMs);
      redis.once('ready', onReady);
      redis.once('close', onClose);
      redis.once('end', onClose);
    });
    return pendingReady;
  }

  function usable(op: string): Promise<void> | undefined {
    const status = redis.status;
    if (status === 'ready') return undefined;
    if (status === 'wait') redis.connect().catch(() => undefined);
    if (status === 'wait' || status === 'connecting' || status === 'connect') return waitReady(op);
    return Promise.reject(toTgError(new Error(`connection ${status}`), op));
  }

  function call<T>(op: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
    const fail = (e: unknown): never => {
      throw toTgError(e, op);
    };
    const wait = usable(op);
    if (!wait) return fn(redis).then(undefined, fail);
    return wait.then(() => fn(redis).then(undefined, fail));
  }

  async function close(): Promise<void> {
    if (o.ownsClient === false) return;
    if (redis.status === 'ready') {
      // QUIT lets replies in flight arrive; a server that stalls gets 500 ms, then the socket goes.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        redis.quit().catch(() => undefined),
        new Promise((r) => (timer = setTimeout(r, 500))),
      ]);
      clearTimeout(timer);
    }
    redis.disconnect();
  }

  return { redis, usable, call, close };
}
