// Loads the live configuration: one YAML file (--config FILE or TG_CONFIG) plus environment
// overrides (DESIGN section 9), validated into a LiveConfig. Every problem is a TG_ERR_CONFIG that
// names file:line and field (or the env var) and says what to put there; unknown keys are errors.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { validateConfig, withCollectors, type TgConfig } from '../../machines/config.ts';
import { SESSION_CAPS } from '../../machines/collectorContext.ts';
import { TgError } from '../../machines/errors.ts';
import type { BrokerName } from '../../machines/types.ts';
import { explicitRate, readBrokers, readCollectors, readSymbolVolumes } from './brokers.ts';
import { Reader, isRecord, pick } from './readers.ts';
import { ConfigSource, originText, type Origin } from './source.ts';
import { BROKERS, ENV, type CollectorSettings, type LiveConfig } from './types.ts';
import { LIVE_TRANSIT_ALLOWANCE_MS } from '../gatekeeper/transitAllowance.ts';

export interface LoadOptions {
  /** The YAML file; default env TG_CONFIG; none = environment only. */
  file?: string;
  env?: Record<string, string | undefined>;
  /** Base of a relative spoolDir; default process.cwd(). */
  cwd?: string;
}

const TOP_KEYS = [
  'redis',
  'database',
  'brokers',
  'collectors',
  'recoveryWorker',
  'spoolDir',
  'symbols',
  'marketOpen',
  'tuning',
];

export function loadConfig(options: LoadOptions = {}): LiveConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? (env[ENV.config] || undefined);
  const source = new ConfigSource(file, file === undefined ? undefined : readConfigFile(file));
  const root = Reader.root(source).map(TOP_KEYS, 'redis: { url: redis://127.0.0.1:6379 }');

  const redis = root
    .get('redis')
    .map(['url', 'gatekeeperUrl', 'prefix', 'commandTimeoutMs'], '{ url: redis://host:6379 }');
  const redisSchemes = ['redis', 'rediss'];
  const redisUrl = pick(redis.get('url'), env, ENV.redisUrl).url(redisSchemes, 'redis://host:6379');
  const gatekeeperUrl = pick(redis.get('gatekeeperUrl'), env, ENV.gatekeeperRedisUrl).url(
    redisSchemes,
    'redis://host:6380',
  );
  const prefixReader = pick(redis.get('prefix'), env, ENV.redisPrefix);
  const prefix = prefixReader.string('a key prefix such as "tg:"', '"tg:"') ?? 'tg:';
  if (!/^[A-Za-z0-9:_.{}-]+$/.test(prefix)) prefixReader.expected('letters, digits and : _ . - { }', '"tg:"');

  const db = root
    .get('database')
    .map(['url', 'schema', 'poolSize', 'statementTimeoutMs'], '{ url: postgres://user@host:5432/db }');
  const schemaReader = pick(db.get('schema'), env, ENV.databaseSchema);
  const schema = schemaReader.string('a schema name', 'public') ?? 'public';
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) schemaReader.expected('a lower-case SQL identifier', 'tickguard');

  const brokersSection = root.get('brokers');
  const brokers = readBrokers(brokersSection, env);
  const collectors = readCollectors(root.get('collectors'), env, brokers);
  checkSessionCaps(root.get('collectors'), collectors);

  const rw = root.get('recoveryWorker').map(['broker'], '{ broker: kis }');
  const backfillBroker = rw.get('broker').oneOf(BROKERS) ?? BROKERS.find((b) => brokers[b]);
  if (backfillBroker && !brokers[backfillBroker]) {
    throw rw.get('broker').error(`names ${backfillBroker}, which is not configured under brokers`, 'kis');
  }

  const marketOpen =
    pick(root.get('marketOpen'), env, ENV.marketOpen).oneOf(['krx', 'always'] as const) ?? 'krx';
  const spoolDir = pick(root.get('spoolDir'), env, ENV.spoolDir).string('a directory', '/var/lib/tickguard');

  const tuning = readTuning(root.get('tuning'), env, {
    limits: Object.fromEntries(
      BROKERS.filter((b) => brokers[b] && explicitOrMissing(root.get('tuning'), brokersSection, env, b)).map(
        (b) => [b, brokers[b]!.rateLimitPerSec],
      ),
    ),
    marketOpen: root.get('marketOpen').present() || env[ENV.marketOpen] ? marketOpen : undefined,
    collectors: collectors.map((c) => c.id),
  });

  return {
    file,
    redis: {
      url: redisUrl,
      gatekeeperUrl: gatekeeperUrl ?? redisUrl,
      prefix,
      commandTimeoutMs:
        redis.get('commandTimeoutMs').number({ min: 0, example: '1000 (milliseconds)' }) ?? 1000,
    },
    database: {
      url: pick(db.get('url'), env, ENV.databaseUrl).url(
        ['postgres', 'postgresql'],
        'postgres://user@host:5432/db',
      ),
      schema,
      poolSize: db.get('poolSize').number({ min: 1, inclusive: true, integer: true, example: '4' }) ?? 4,
      statementTimeoutMs:
        db.get('statementTimeoutMs').number({ min: 0, example: '10000 (milliseconds)' }) ?? 10_000,
    },
    brokers,
    collectors,
    backfillBroker,
    spoolDir: resolve(options.cwd ?? process.cwd(), spoolDir ?? '.tmp/tickguard'),
    symbolVolumes: readSymbolVolumes(root.get('symbols')),
    marketOpen,
    tuning,
  };
}

function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'unreadable';
    throw new TgError(
      'TG_ERR_CONFIG',
      `config file ${file} cannot be read (${code}); fix: pass --config FILE or set TG_CONFIG`,
      {
        file,
      },
    );
  }
}

/** The broker's rate goes into gatekeeper.limits unless only its default would replace an explicit tuning limit. */
function explicitOrMissing(
  tuning: Reader,
  brokers: Reader,
  env: Record<string, string | undefined>,
  b: BrokerName,
): boolean {
  if (explicitRate(brokers, env, b)) return true;
  const limits = tuning.get('gatekeeper').get('limits').get(b);
  return !limits.get('ratePerSec').present();
}

function checkSessionCaps(section: Reader, collectors: CollectorSettings[]): void {
  const items = section.list('[]');
  collectors.forEach((c, i) => {
    const n = c.symbols.kind === 'list' ? c.symbols.symbols.length : c.symbols.to - c.symbols.from + 1;
    const cap = SESSION_CAPS[c.broker];
    if (n > cap) {
      throw items[i]
        .get('symbols')
        .error(
          `asks for ${n} symbols, more than the ${cap} a ${c.broker} WebSocket session may subscribe`,
          `split them over more collectors (at most ${cap} each)`,
        );
    }
  });
}

/** Default grace for a starting process's first heartbeat in live mode. */
export const LIVE_START_TIMEOUT_MS = 15_000;

interface TuningExtras {
  limits: Record<string, number>;
  marketOpen: 'krx' | 'always' | undefined;
  collectors: string[];
}

/** The `tuning` section through machines/config.ts validateConfig, errors re-located to file:line. */
function readTuning(r: Reader, env: Record<string, string | undefined>, extras: TuningExtras): TgConfig {
  if (r.present() && !isRecord(r.value)) r.expected('a map', '{ heartbeatIntervalMs: 1000 }');
  const input: Record<string, unknown> = structuredClone((r.value as Record<string, unknown>) ?? {});
  const envOrigins: Record<string, string> = {};
  for (const [key, name] of [
    ['heartbeatIntervalMs', ENV.heartbeatIntervalMs],
    ['heartbeatTimeoutMs', ENV.heartbeatTimeoutMs],
    ['startTimeoutMs', ENV.startTimeoutMs],
  ] as const) {
    const value = Reader.env(name, env[name]).number({ min: 0, example: '1000 (milliseconds)' });
    if (value !== undefined) {
      input[key] = value;
      envOrigins[key] = name;
    }
  }
  const gatekeeper = isRecord(input.gatekeeper) ? input.gatekeeper : {};
  const limits = isRecord(gatekeeper.limits) ? gatekeeper.limits : {};
  for (const [broker, ratePerSec] of Object.entries(extras.limits)) {
    limits[broker] = { ...(isRecord(limits[broker]) ? limits[broker] : {}), ratePerSec };
  }
  if (Object.keys(limits).length > 0) input.gatekeeper = { ...gatekeeper, limits };
  if (extras.marketOpen !== undefined) {
    const session = isRecord(input.session) ? input.session : {};
    input.session = { ...session, always: extras.marketOpen === 'always' };
  }
  try {
    const tuning = withCollectors(validateConfig(input), extras.collectors);
    // A live process needs seconds to load and connect before its first beat (the simulator none).
    tuning.startTimeoutMs ??= Math.max(LIVE_START_TIMEOUT_MS, tuning.heartbeatTimeoutMs);
    // A live request can reach the broker later than its grant (the simulator's cannot).
    tuning.gatekeeper.transitAllowanceMs ??= LIVE_TRANSIT_ALLOWANCE_MS;
    return tuning;
  } catch (e) {
    if (!(e instanceof TgError)) throw e;
    const field = typeof e.details.field === 'string' ? e.details.field : '';
    const origin: Origin =
      envOrigins[field] !== undefined
        ? { kind: 'env', name: envOrigins[field] }
        : r.origin.kind === 'file'
          ? { ...r.origin, path: field ? `tuning.${field}` : 'tuning' }
          : r.origin;
    const text = e.message.replace(/^TG_ERR_[A-Z_]+: /, '').replace(/^config(\.|\b)/, 'tuning$1');
    const where = originText(origin).replace(/ \S+$/, origin.kind === 'env' ? ` ${origin.name}` : '');
    throw new TgError(e.code, `${where} ${text}`, {
      ...e.details,
      ...(origin.kind === 'file'
        ? { file: origin.source.file, line: origin.source.lineOf(origin.path) }
        : { env: origin.name }),
    });
  }
}
