// redis-main ports and a deadline helper, apart from the rest of the wiring so that `health` and
// `status` load only what they need (they must answer fast, even with Redis down).
import { TgError } from '../../machines/errors.ts';
import { requireUrl, type LiveConfig } from '../config/index.ts';
import type { Logger } from '../log.ts';
import { createRedisPorts, type RedisAdapters, type RedisPorts } from '../redis/index.ts';

export function openRedis(config: LiveConfig, name: string, log?: Logger): RedisAdapters {
  return createRedisPorts({
    url: requireUrl(config, 'redis.url'),
    prefix: config.redis.prefix,
    commandTimeoutMs: config.redis.commandTimeoutMs,
    name,
    log: log?.child({ part: 'redis-main' }),
  });
}

/** Resolve with the promise's value, or reject with TG_ERR_TIMEOUT after `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TgError('TG_ERR_TIMEOUT', `${what} did not answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export type { RedisPorts };
