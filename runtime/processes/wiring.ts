// Building a process's real ports from the live config: redis-gatekeeper, the PostgreSQL store
// (lazy, migrated once), broker clients with their keys (redis-main: redisWiring.ts). One place, so
// every command wires the same way and every URL, prefix, schema and directory comes from config.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TgError } from '../../machines/errors.ts';
import type { BrokerName } from '../../machines/types.ts';
import { createBrokerPorts, type BrokerPorts } from '../brokers/index.ts';
import { realClock } from '../clock.ts';
import { requireBroker, requireUrl, type CollectorSettings, type LiveConfig } from '../config/index.ts';
import { createRedisRateLimitStore } from '../gatekeeper/index.ts';
import type { Logger } from '../log.ts';
import { createPgStore } from '../postgres/index.ts';
import { LazyStore } from './lazyStore.ts';

/**
 * The gatekeeper's bucket keys already start with tg:rl:, so only a non-default prefix is added.
 * Grants are spaced for transit jitter (gatekeeper.transitAllowanceMs): the broker counts arrivals.
 */
export function openRateLimitStore(config: LiveConfig, name: string, log?: Logger) {
  return createRedisRateLimitStore({
    url: requireUrl(config, 'redis.gatekeeperUrl'),
    prefix: config.redis.prefix === 'tg:' ? undefined : config.redis.prefix,
    commandTimeoutMs: config.tuning.gatekeeper.slowCallMs,
    name,
    log: log?.child({ part: 'redis-gatekeeper' }),
    transitAllowanceMs: config.tuning.gatekeeper.transitAllowanceMs,
  });
}

/** PostgreSQL store that connects on first use; `migrate` on the processes that own the schema. */
export function openStore(
  config: LiveConfig,
  options: { migrate: boolean; log: Logger; onOpen?: () => void },
): LazyStore {
  const url = requireUrl(config, 'database.url');
  return new LazyStore(
    () =>
      createPgStore({
        url,
        schema: config.database.schema,
        poolSize: config.database.poolSize,
        statementTimeoutMs: config.database.statementTimeoutMs,
        log: options.log.child({ part: 'postgres' }),
      }),
    {
      migrate: options.migrate,
      onOpen: () => {
        options.log.info('store connected', { schema: config.database.schema });
        options.onOpen?.();
      },
    },
  );
}

export function openBroker(
  config: LiveConfig,
  broker: BrokerName,
  use: 'ws' | 'rest',
  log: Logger,
  owner: string,
  collector?: CollectorSettings,
): BrokerPorts {
  const creds = requireBroker(config, broker, use, collector);
  ensureDir(config.spoolDir);
  return createBrokerPorts({
    broker,
    restUrl: creds.restUrl,
    // The REST side of a broker needs no WebSocket URL; the client still validates one.
    wsUrl: creds.wsUrl || creds.restUrl.replace(/^http/, 'ws'),
    appKey: creds.appKey.reveal(),
    appSecret: creds.appSecret.reveal(),
    clock: realClock,
    requestTimeoutMs: creds.settings.requestTimeoutMs,
    log: log.child({ part: `broker:${broker}` }),
    // Tokens survive a restart (KIS issues at most one a minute per key).
    tokenFile: join(config.spoolDir, `${owner.replace(/[^A-Za-z0-9_-]/g, '_')}.${broker}.tokens`),
    sessionHours: config.tuning.session,
  });
}

export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new TgError(
      'TG_ERR_CONFIG',
      `spoolDir ${dir} cannot be created (${(e as { code?: string }).code ?? 'error'}); fix: point spoolDir or TG_SPOOL_DIR at a writable directory`,
      { field: 'spoolDir' },
    );
  }
}
