// The live adapters of the Redis-backed ports (EventBus, StateMirror, Heartbeats, TickBuffer) on
// one redis-main connection (plus a Pub/Sub connection on first subscribe). Unreachable ->
// TG_ERR_DEP_DOWN, slow -> TG_ERR_TIMEOUT; nothing hangs, nothing throws an unhandled 'error'.
import type { EventBus } from '../../ports/eventBus.ts';
import type { Heartbeats } from '../../ports/heartbeats.ts';
import type { StateMirror } from '../../ports/stateMirror.ts';
import type { TickBuffer } from '../../ports/tickBuffer.ts';
import type { Logger } from '../log.ts';
import { RedisConnection } from './connection.ts';
import { RedisEventBus } from './eventBus.ts';
import { RedisHeartbeats } from './heartbeats.ts';
import { redisKeys, type RedisKeys } from './keys.ts';
import { RedisStateMirror } from './stateMirror.ts';
import { RedisTickBuffer } from './tickBuffer.ts';

export interface RedisPortsOptions {
  url: string;
  /** Key prefix, default 'tg:'. */
  prefix?: string;
  /** Per-command timeout, default 1000 ms. */
  commandTimeoutMs?: number;
  /** Connection name (CLIENT LIST), e.g. the process's component id. */
  name?: string;
  /** Component name in errors, default 'redis-main'. */
  dependency?: string;
  /** Cap of the reconnect back-off, default 1000 ms (reconnects never stop). */
  maxReconnectDelayMs?: number;
  log?: Logger;
}

export interface RedisPorts {
  eventBus: EventBus;
  mirror: StateMirror;
  heartbeats: Heartbeats;
  tickBuffer: TickBuffer;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The concrete adapters, for callers that want their stats (tests, `tickguard status`). */
export interface RedisAdapters extends RedisPorts {
  eventBus: RedisEventBus;
  mirror: RedisStateMirror;
  heartbeats: RedisHeartbeats;
  tickBuffer: RedisTickBuffer;
  connection: RedisConnection;
  keys: RedisKeys;
}

export function createRedisPorts(o: RedisPortsOptions): RedisAdapters {
  const connection = new RedisConnection({
    url: o.url,
    dependency: o.dependency ?? 'redis-main',
    commandTimeoutMs: o.commandTimeoutMs,
    name: o.name,
    maxReconnectDelayMs: o.maxReconnectDelayMs,
    log: o.log,
  });
  const keys = redisKeys(o.prefix ?? 'tg:');
  return {
    eventBus: new RedisEventBus(connection, keys, { log: o.log }),
    mirror: new RedisStateMirror(connection, keys),
    heartbeats: new RedisHeartbeats(connection, keys),
    tickBuffer: new RedisTickBuffer(connection, keys, { log: o.log }),
    connection,
    keys,
    ping: () => connection.ping(),
    close: () => connection.close(),
  };
}

export { RedisConnection, type RedisConnectionOptions } from './connection.ts';
export { RedisEventBus } from './eventBus.ts';
export { RedisHeartbeats } from './heartbeats.ts';
export { RedisLease, type LeaseClaim } from './lease.ts';
export { redisKeys, type RedisKeys } from './keys.ts';
export { RedisStateMirror } from './stateMirror.ts';
export { RedisTickBuffer } from './tickBuffer.ts';
export { decodeTickBatches, encodeTickBatches, TICK_CODEC_VERSION } from './tickCodec.ts';
export { toTgError } from './redisErrors.ts';
