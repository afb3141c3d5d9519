// The live configuration (DESIGN section 9) after loading: where Redis, PostgreSQL and the brokers
// are, which collectors exist and what they cover, where local files go, and the validated tuning
// (machines/config.ts TgConfig) every assembly reads.
import type { TgConfig } from '../../machines/config.ts';
import type { BrokerName } from '../../machines/types.ts';
import type { Secret } from './secret.ts';

export const BROKERS: readonly BrokerName[] = ['kis', 'kiwoom'];

/** Environment variables that override the file (DESIGN section 9, plus the TG_* test knobs). */
export const ENV = {
  config: 'TG_CONFIG',
  redisUrl: 'REDIS_URL',
  gatekeeperRedisUrl: 'GATEKEEPER_REDIS_URL',
  databaseUrl: 'DATABASE_URL',
  redisPrefix: 'TG_REDIS_PREFIX',
  databaseSchema: 'TG_DATABASE_SCHEMA',
  spoolDir: 'TG_SPOOL_DIR',
  heartbeatIntervalMs: 'TG_HEARTBEAT_INTERVAL_MS',
  heartbeatTimeoutMs: 'TG_HEARTBEAT_TIMEOUT_MS',
  startTimeoutMs: 'TG_START_TIMEOUT_MS',
  marketOpen: 'TG_MARKET_OPEN',
} as const;

/** Per-broker environment variables. */
export const BROKER_ENV: Record<
  BrokerName,
  { restUrl: string; wsUrl: string; appKey: string; secret: string; rateLimit: string }
> = {
  kis: {
    restUrl: 'KIS_REST_URL',
    wsUrl: 'KIS_WS_URL',
    appKey: 'KIS_APP_KEY',
    secret: 'KIS_APP_SECRET',
    rateLimit: 'KIS_RATE_LIMIT_PER_SEC',
  },
  kiwoom: {
    restUrl: 'KIWOOM_REST_URL',
    wsUrl: 'KIWOOM_WS_URL',
    appKey: 'KIWOOM_APP_KEY',
    secret: 'KIWOOM_SECRET_KEY',
    rateLimit: 'KIWOOM_RATE_LIMIT_PER_SEC',
  },
};

/** The YAML key of each broker's secret (the brokers' own names: KIS appsecret, Kiwoom secretkey). */
export const SECRET_KEY: Record<BrokerName, 'appSecret' | 'secretKey'> = {
  kis: 'appSecret',
  kiwoom: 'secretKey',
};

export type AccountKind = 'real' | 'paper';

/** Default REST rate limits (requests/s per app key): KIS real 20, paper 2; Kiwoom 5. */
export const DEFAULT_RATE: Record<BrokerName, Record<AccountKind, number>> = {
  kis: { real: 20, paper: 2 },
  kiwoom: { real: 5, paper: 5 },
};

export interface BrokerSettings {
  broker: BrokerName;
  restUrl: string | undefined;
  wsUrl: string | undefined;
  appKey: Secret;
  appSecret: Secret;
  account: AccountKind;
  rateLimitPerSec: number;
  requestTimeoutMs: number;
}

/** An explicit list, or volume ranks `from..to` (1 = busiest; "top 40" is ranks 1..40). */
export type SymbolSelection =
  { kind: 'list'; symbols: string[] } | { kind: 'ranks'; from: number; to: number };

export interface CollectorSettings {
  /** 'kis-1' (the component id is `collector:kis-1`). */
  name: string;
  id: string;
  broker: BrokerName;
  symbols: SymbolSelection;
  /** Own app key (KIS allows one WebSocket session per key); else the broker's. */
  appKey?: Secret;
  appSecret?: Secret;
}

export interface LiveConfig {
  /** The YAML file, if any. */
  file: string | undefined;
  redis: {
    url: string | undefined;
    /** Defaults to redis.url (one server in small setups). */
    gatekeeperUrl: string | undefined;
    prefix: string;
    commandTimeoutMs: number;
  };
  database: { url: string | undefined; schema: string; poolSize: number; statementTimeoutMs: number };
  brokers: Partial<Record<BrokerName, BrokerSettings>>;
  collectors: CollectorSettings[];
  /** The broker the recovery worker back-fills from (default: kis if configured, else kiwoom). */
  backfillBroker: BrokerName | undefined;
  /** Collector spools (<dir>/<name>.spool) and the supervisor outbox (<dir>/supervisor.outbox). */
  spoolDir: string;
  /** Previous-session volume per symbol from the file (priority when the store has none). */
  symbolVolumes: Map<string, number>;
  marketOpen: 'krx' | 'always';
  /** Validated tuning, with a component per collector and the brokers' limits in gatekeeper.limits. */
  tuning: TgConfig;
}
