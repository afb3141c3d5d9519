// The `brokers` and `collectors` sections: broker endpoints, app key secrets, account kind and REST
// rate limit (environment variables win), and the collectors with the symbols each one covers.
import { collectorId, COLLECTOR_PREFIX } from '../../machines/config.ts';
import type { BrokerName } from '../../machines/types.ts';
import { Reader, pick } from './readers.ts';
import { readSecret } from './secret.ts';
import {
  BROKERS,
  BROKER_ENV,
  DEFAULT_RATE,
  SECRET_KEY,
  type BrokerSettings,
  type CollectorSettings,
  type SymbolSelection,
} from './types.ts';

type Env = Record<string, string | undefined>;

const RATE = { min: 0, example: '20 (requests per second)' };

export function readBrokers(section: Reader, env: Env): Partial<Record<BrokerName, BrokerSettings>> {
  section.map(BROKERS, '{ kis: { restUrl: ..., wsUrl: ... } }');
  const out: Partial<Record<BrokerName, BrokerSettings>> = {};
  for (const broker of BROKERS) {
    const names = BROKER_ENV[broker];
    const r = section.get(broker);
    const fromEnv = [names.restUrl, names.wsUrl, names.appKey, names.secret].some((n) => env[n]);
    if (!r.present() && !fromEnv) continue;
    const secretKey = SECRET_KEY[broker];
    r.map(
      ['restUrl', 'wsUrl', 'appKey', secretKey, 'account', 'rateLimitPerSec', 'requestTimeoutMs'],
      '{ restUrl: https://..., wsUrl: ws://..., account: real }',
    );
    const account = r.get('account').oneOf(['real', 'paper'] as const) ?? 'real';
    const rate = pick(r.get('rateLimitPerSec'), env, names.rateLimit).number(RATE);
    out[broker] = {
      broker,
      restUrl: pick(r.get('restUrl'), env, names.restUrl).url(['http', 'https'], 'https://host:port'),
      wsUrl: pick(r.get('wsUrl'), env, names.wsUrl).url(['ws', 'wss'], 'ws://host:port'),
      appKey: readSecret(r.get('appKey'), env, names.appKey),
      appSecret: readSecret(r.get(secretKey), env, names.secret),
      account,
      rateLimitPerSec: rate ?? DEFAULT_RATE[broker][account],
      requestTimeoutMs:
        r.get('requestTimeoutMs').number({ min: 0, example: '10000 (milliseconds)' }) ?? 10_000,
    };
  }
  return out;
}

/** Whether the file sets the rate explicitly (env or brokers.X.rateLimitPerSec), not by account default. */
export function explicitRate(section: Reader, env: Env, broker: BrokerName): boolean {
  return Boolean(env[BROKER_ENV[broker].rateLimit]) || section.get(broker).get('rateLimitPerSec').present();
}

const NAME = /^[a-z0-9][a-z0-9_-]*$/i;
const SYMBOL = /^[0-9A-Z]{6}$/;
const TOP = /^top\s+([0-9]+)(\s+by\s+volume)?$/i;
const RANKS = /^ranks\s+([0-9]+)\s*-\s*([0-9]+)(\s+by\s+volume)?$/i;

export function readCollectors(
  section: Reader,
  env: Env,
  brokers: Partial<Record<BrokerName, BrokerSettings>>,
): CollectorSettings[] {
  const seen = new Set<string>();
  return section.list('[{ name: kis-1, broker: kis, symbols: "top 40" }]').map((c) => {
    const secretKey = c.get('broker').value === 'kiwoom' ? 'secretKey' : 'appSecret';
    c.map(
      ['name', 'broker', 'symbols', 'appKey', secretKey],
      '{ name: kis-1, broker: kis, symbols: [005930] }',
    );
    let name = c.get('name').string('a name such as kis-1', 'kis-1');
    if (name === undefined) throw c.get('name').error('is missing', 'name: kis-1');
    if (name.startsWith(COLLECTOR_PREFIX)) name = name.slice(COLLECTOR_PREFIX.length);
    if (!NAME.test(name)) c.get('name').expected('letters, digits, - or _ (e.g. kis-1)', 'kis-1');
    if (seen.has(name))
      throw c.get('name').error(`repeats the collector name ${name}`, 'give each collector its own name');
    seen.add(name);
    const broker = c.get('broker').oneOf(BROKERS);
    if (broker === undefined) throw c.get('broker').error('is missing', 'broker: kis');
    if (!brokers[broker]) {
      throw c
        .get('broker')
        .error(
          `names ${broker}, which has no brokers.${broker} section or ${BROKER_ENV[broker].wsUrl}`,
          `add brokers.${broker} with its wsUrl and restUrl`,
        );
    }
    const out: CollectorSettings = {
      name,
      id: collectorId(name),
      broker,
      symbols: readSymbols(c.get('symbols')),
    };
    if (c.get('appKey').present()) out.appKey = readSecret(c.get('appKey'), env, undefined);
    if (c.get(secretKey).present()) out.appSecret = readSecret(c.get(secretKey), env, undefined);
    return out;
  });
}

function readSymbols(r: Reader): SymbolSelection {
  const example = '[005930, 000660], "top 40" or "ranks 41-80"';
  if (!r.present()) throw r.error('is missing', `symbols: ${example}`);
  if (typeof r.value === 'string') {
    const text = r.value.trim();
    const top = TOP.exec(text);
    const ranks = RANKS.exec(text);
    const from = top ? 1 : Number(ranks?.[1]);
    const to = top ? Number(top[1]) : Number(ranks?.[2]);
    if (!(from >= 1 && to >= from)) {
      r.expected('a list of symbol codes, "top N by volume" or "ranks A-B by volume"', example);
    }
    return { kind: 'ranks', from, to };
  }
  const items = r.list(example);
  if (items.length === 0) r.expected('a non-empty list of symbol codes', example);
  const symbols: string[] = [];
  for (const item of items) {
    const code = item.text();
    if (code === undefined || !SYMBOL.test(code))
      item.expected('a 6-character KRX code such as 005930', '005930');
    if (!symbols.includes(code!)) symbols.push(code!);
  }
  return { kind: 'list', symbols };
}

/** `symbols: { 005930: 12000000, ... }`: previous-session volume per code. */
export function readSymbolVolumes(r: Reader): Map<string, number> {
  const out = new Map<string, number>();
  r.map(r.keys(), '{ 005930: 12000000 }');
  for (const code of r.keys()) {
    const v = r.get(code);
    if (!SYMBOL.test(code)) throw v.error('is not a 6-character KRX code', 'quote it: "005930"');
    out.set(code, v.number({ min: 0, inclusive: true, example: '12000000 (shares)' }) ?? 0);
  }
  return out;
}
