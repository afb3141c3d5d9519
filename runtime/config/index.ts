// Live configuration: load (YAML + environment), the LiveConfig shape, secrets, redacted printing,
// and the checks a process makes for what it needs (a URL, a broker's keys).
import { TgError } from '../../machines/errors.ts';
import type { BrokerName } from '../../machines/types.ts';
import type { Secret } from './secret.ts';
import {
  BROKER_ENV,
  ENV,
  SECRET_KEY,
  type BrokerSettings,
  type CollectorSettings,
  type LiveConfig,
} from './types.ts';

export { loadConfig, type LoadOptions } from './load.ts';
export { printableConfig } from './print.ts';
export { Secret } from './secret.ts';
export * from './types.ts';

const WHERE = {
  'redis.url': ENV.redisUrl,
  'redis.gatekeeperUrl': ENV.gatekeeperRedisUrl,
  'database.url': ENV.databaseUrl,
} as const;

/** The URL a process cannot run without; TG_ERR_CONFIG saying where to set it. */
export function requireUrl(config: LiveConfig, field: keyof typeof WHERE): string {
  const value =
    field === 'redis.url'
      ? config.redis.url
      : field === 'redis.gatekeeperUrl'
        ? config.redis.gatekeeperUrl
        : config.database.url;
  if (value === undefined) {
    throw new TgError(
      'TG_ERR_CONFIG',
      `${field} is not set; fix: set ${field} in the config file or ${WHERE[field]} in the environment`,
      { field, env: WHERE[field] },
    );
  }
  return value;
}

export interface BrokerCredentials {
  settings: BrokerSettings;
  restUrl: string;
  wsUrl: string;
  appKey: Secret;
  appSecret: Secret;
}

/** A broker's endpoint and keys for one use (a collector's WebSocket, the worker's REST). */
export function requireBroker(
  config: LiveConfig,
  broker: BrokerName,
  use: 'ws' | 'rest',
  collector?: CollectorSettings,
): BrokerCredentials {
  const settings = config.brokers[broker];
  const names = BROKER_ENV[broker];
  const missing = (field: string, env: string) =>
    new TgError(
      'TG_ERR_CONFIG',
      `brokers.${broker}.${field} is not set${collector ? ` (needed by collector ${collector.name})` : ''}; fix: set it in the config file or ${env} in the environment`,
      { field: `brokers.${broker}.${field}`, env },
    );
  if (!settings)
    throw missing(use === 'ws' ? 'wsUrl' : 'restUrl', use === 'ws' ? names.wsUrl : names.restUrl);
  const appKey = collector?.appKey ?? settings.appKey;
  const appSecret = collector?.appSecret ?? settings.appSecret;
  if (use === 'ws' && !settings.wsUrl) throw missing('wsUrl', names.wsUrl);
  if (!settings.restUrl) throw missing('restUrl', names.restUrl);
  if (!appKey.isSet) throw missing(`appKey (${appKey.from})`, names.appKey);
  if (!appSecret.isSet) throw missing(`${SECRET_KEY[broker]} (${appSecret.from})`, names.secret);
  return { settings, restUrl: settings.restUrl, wsUrl: settings.wsUrl ?? '', appKey, appSecret };
}

/** The collector named on the command line (`kis-1` or `collector:kis-1`). */
export function requireCollector(config: LiveConfig, name: string | undefined): CollectorSettings {
  const names = config.collectors.map((c) => c.name);
  if (name === undefined) {
    throw new TgError(
      'TG_ERR_USAGE',
      `collector: --name NAME is required (configured: ${names.join(', ') || 'none'})`,
    );
  }
  const bare = name.replace(/^collector:/, '');
  const settings = config.collectors.find((c) => c.name === bare);
  if (!settings) {
    throw new TgError(
      'TG_ERR_CONFIG',
      `collector "${bare}" is not in the config's collectors (configured: ${names.join(', ') || 'none'}); fix: add it under collectors or pass one of those names`,
      { field: 'collectors' },
    );
  }
  return settings;
}
