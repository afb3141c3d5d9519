// The effective configuration as JSON for `tickguard config`: secrets show only where they come
// from, URL passwords are masked. Safe to paste into an issue.
import { redactUrl } from '../log.ts';
import type { LiveConfig } from './types.ts';

export function printableConfig(config: LiveConfig): Record<string, unknown> {
  const url = (u: string | undefined) => (u === undefined ? null : redactUrl(u));
  return {
    file: config.file ?? null,
    redis: { ...config.redis, url: url(config.redis.url), gatekeeperUrl: url(config.redis.gatekeeperUrl) },
    database: { ...config.database, url: url(config.database.url) },
    brokers: Object.fromEntries(
      Object.entries(config.brokers).map(([name, b]) => [
        name,
        {
          restUrl: url(b.restUrl),
          wsUrl: url(b.wsUrl),
          appKey: b.appKey.isSet ? `*** (${b.appKey.from})` : '(unset)',
          appSecret: b.appSecret.isSet ? `*** (${b.appSecret.from})` : '(unset)',
          account: b.account,
          rateLimitPerSec: b.rateLimitPerSec,
          requestTimeoutMs: b.requestTimeoutMs,
        },
      ]),
    ),
    collectors: config.collectors.map((c) => ({
      name: c.name,
      broker: c.broker,
      symbols:
        c.symbols.kind === 'list' ? c.symbols.symbols : `ranks ${c.symbols.from}-${c.symbols.to} by volume`,
      ...(c.appKey ? { appKey: `*** (${c.appKey.from})` } : {}),
    })),
    recoveryWorker: { broker: config.backfillBroker ?? null },
    spoolDir: config.spoolDir,
    symbols: Object.fromEntries(config.symbolVolumes),
    marketOpen: config.marketOpen,
    tuning: config.tuning,
  };
}
