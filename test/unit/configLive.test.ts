// The live configuration loader (runtime/config): YAML plus environment overrides, coded errors that
// name file:line and field (or the env var), unknown keys rejected, secrets never in error text.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TgError } from '../../machines/errors.ts';
import { loadConfig, printableConfig, requireBroker, requireUrl } from '../../runtime/config/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tg-config-'));
let n = 0;
function file(text: string): string {
  const path = join(dir, `c${++n}.yaml`);
  writeFileSync(path, text);
  return path;
}

function errorOf(fn: () => unknown): TgError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TgError) return e;
    throw e;
  }
  throw new Error('expected a TgError, nothing was thrown');
}

const BASE = `redis:
  url: redis://127.0.0.1:6379
database:
  url: postgres://postgres@127.0.0.1:5432/postgres
brokers:
  kis:
    restUrl: http://127.0.0.1:18080
    wsUrl: ws://127.0.0.1:18080
    appKey: { env: MY_KIS_KEY }
    appSecret: { env: MY_KIS_SECRET }
collectors:
  - { name: kis-1, broker: kis, symbols: [005930, "000660"] }
  - { name: kis-2, broker: kis, symbols: top 10 by volume }
`;

describe('loadConfig', () => {
  it('reads the file: collectors, symbol codes as written, broker defaults, tuning with one component per collector', () => {
    const c = loadConfig({ file: file(BASE), env: { MY_KIS_KEY: 'k', MY_KIS_SECRET: 's' } });
    expect(c.collectors.map((x) => [x.id, x.symbols])).toEqual([
      ['collector:kis-1', { kind: 'list', symbols: ['005930', '000660'] }],
      ['collector:kis-2', { kind: 'ranks', from: 1, to: 10 }],
    ]);
    expect(c.brokers.kis?.rateLimitPerSec).toBe(20);
    expect(c.backfillBroker).toBe('kis');
    expect(c.redis.gatekeeperUrl).toBe('redis://127.0.0.1:6379');
    expect(c.redis.prefix).toBe('tg:');
    expect(c.database.schema).toBe('public');
    expect(c.tuning.components.map((x) => x.id)).toContain('collector:kis-2');
    expect(c.tuning.gatekeeper.limits.kis.ratePerSec).toBe(20);
    expect(requireBroker(c, 'kis', 'ws').appKey.reveal()).toBe('k');
  });

  it('lets environment variables override the file', () => {
    const c = loadConfig({
      file: file(BASE),
      env: {
        REDIS_URL: 'redis://10.0.0.1:6379',
        GATEKEEPER_REDIS_URL: 'redis://10.0.0.2:6380',
        DATABASE_URL: 'postgresql://u@db/x',
        KIS_WS_URL: 'wss://broker.example:21000',
        KIS_APP_KEY: 'from-env',
        KIS_APP_SECRET: 'secret-env',
        KIS_RATE_LIMIT_PER_SEC: '7',
        TG_REDIS_PREFIX: 'tg:test:1:',
        TG_DATABASE_SCHEMA: 'tg_test_1',
        TG_SPOOL_DIR: '/tmp/spool-x',
        TG_HEARTBEAT_INTERVAL_MS: '200',
        TG_MARKET_OPEN: 'always',
      },
    });
    expect(c.redis.url).toBe('redis://10.0.0.1:6379');
    expect(c.redis.gatekeeperUrl).toBe('redis://10.0.0.2:6380');
    expect(c.database.url).toBe('postgresql://u@db/x');
    expect(c.brokers.kis?.wsUrl).toBe('wss://broker.example:21000');
    expect(c.brokers.kis?.appKey.reveal()).toBe('from-env');
    expect(c.brokers.kis?.appKey.from).toBe('env KIS_APP_KEY');
    expect(c.tuning.gatekeeper.limits.kis.ratePerSec).toBe(7);
    expect(c.redis.prefix).toBe('tg:test:1:');
    expect(c.database.schema).toBe('tg_test_1');
    expect(c.spoolDir).toBe('/tmp/spool-x');
    expect(c.tuning.heartbeatIntervalMs).toBe(200);
    expect(c.tuning.session?.always).toBe(true);
  });

  it('derives the rate limit from the account kind: KIS paper 2, Kiwoom 5', () => {
    const c = loadConfig({
      file: file(
        BASE.replace(
          'appSecret: { env: MY_KIS_SECRET }',
          'appSecret: { env: MY_KIS_SECRET }\n    account: paper',
        ) + 'recoveryWorker: { broker: kiwoom }\n',
      ),
      env: { KIWOOM_REST_URL: 'https://api.kiwoom.com' },
    });
    expect(c.brokers.kis?.rateLimitPerSec).toBe(2);
    expect(c.tuning.gatekeeper.limits.kis.ratePerSec).toBe(2);
    expect(c.brokers.kiwoom?.rateLimitPerSec).toBe(5);
    expect(c.backfillBroker).toBe('kiwoom');
  });

  it('works from the environment alone (status, health)', () => {
    const c = loadConfig({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    expect(c.file).toBeUndefined();
    expect(requireUrl(c, 'redis.url')).toBe('redis://127.0.0.1:1');
    expect(c.collectors).toEqual([]);
    expect(errorOf(() => requireUrl(c, 'database.url')).message).toContain('DATABASE_URL');
  });

  it('rejects unknown keys anywhere with file:line and the allowed keys', () => {
    const top = errorOf(() => loadConfig({ file: file(BASE + 'colectors: []\n'), env: {} }));
    expect(top.code).toBe('TG_ERR_CONFIG');
    expect(top.message).toMatch(
      /c\d+\.yaml:14 colectors is not a known key; fix: remove it or use one of .*collectors/,
    );
    const nested = errorOf(() =>
      loadConfig({ file: file(BASE.replace('    wsUrl:', '    wsurl:')), env: {} }),
    );
    expect(nested.message).toMatch(/:8 brokers\.kis\.wsurl is not a known key/);
    expect(nested.details).toMatchObject({ field: 'brokers.kis.wsurl', line: 8 });
    const tuning = errorOf(() =>
      loadConfig({
        file: file(BASE + 'tuning:\n  heartbeatIntervalMs: 100\n  restart: { maxRestart: 3 }\n'),
        env: {},
      }),
    );
    expect(tuning.message).toMatch(/:16 tuning\.restart has an unknown key "maxRestart"/);
  });

  it('names the field, the line and a fix for bad values, including tuning through validateConfig', () => {
    const e = errorOf(() =>
      loadConfig({ file: file(BASE + 'tuning:\n  heartbeatIntervalMs: -5\n'), env: {} }),
    );
    expect(e.message).toMatch(
      /^TG_ERR_CONFIG: .*c\d+\.yaml:15 tuning\.heartbeatIntervalMs must be a number > 0 \(got -5\); fix: /,
    );
    const url = errorOf(() => loadConfig({ file: file(BASE.replace('redis://127', 'http://127')), env: {} }));
    expect(url.message).toMatch(/:2 redis\.url must be a URL starting with redis:\/\/ or rediss:\/\//);
    const sym = errorOf(() =>
      loadConfig({ file: file(BASE.replace('[005930, "000660"]', '[5930]')), env: {} }),
    );
    expect(sym.message).toMatch(/:12 collectors\[0\]\.symbols\[0\] must be a 6-character KRX code/);
    const cap = errorOf(() =>
      loadConfig({ file: file(BASE.replace('top 10 by volume', 'top 60')), env: {} }),
    );
    expect(cap.message).toMatch(/collectors\[1\]\.symbols asks for 60 symbols, more than the 41/);
    const ranks = loadConfig({ file: file(BASE.replace('top 10 by volume', 'ranks 42-82')), env: {} });
    expect(ranks.collectors[1].symbols).toEqual({ kind: 'ranks', from: 42, to: 82 });
    const badRanks = errorOf(() =>
      loadConfig({ file: file(BASE.replace('top 10 by volume', 'ranks 9-3')), env: {} }),
    );
    expect(badRanks.message).toMatch(
      /collectors\[1\]\.symbols must be a list of symbol codes, "top N by volume"/,
    );
    const dup = errorOf(() =>
      loadConfig({ file: file(BASE.replace('name: kis-2', 'name: kis-1')), env: {} }),
    );
    expect(dup.message).toMatch(/collectors\[1\]\.name repeats the collector name kis-1/);
    const noBroker = errorOf(() =>
      loadConfig({ file: file(BASE + '  - { name: kw-1, broker: kiwoom, symbols: [005930] }\n'), env: {} }),
    );
    expect(noBroker.message).toMatch(
      /collectors\[2\]\.broker names kiwoom, which has no brokers\.kiwoom section/,
    );
  });

  it('names the environment variable when an override is bad', () => {
    const e = errorOf(() => loadConfig({ file: file(BASE), env: { KIS_RATE_LIMIT_PER_SEC: 'fast' } }));
    expect(e.message).toMatch(
      /^TG_ERR_CONFIG: env KIS_RATE_LIMIT_PER_SEC must be a number > 0 \(got a string\)/,
    );
    expect(e.details.env).toBe('KIS_RATE_LIMIT_PER_SEC');
    const hb = errorOf(() => loadConfig({ file: file(BASE), env: { TG_HEARTBEAT_INTERVAL_MS: '9000' } }));
    expect(hb.message).toMatch(
      /tuning\.heartbeatTimeoutMs must be greater than heartbeatIntervalMs \(9000\)/,
    );
  });

  it('reports YAML syntax errors and unreadable files with the file name', () => {
    const syntax = errorOf(() => loadConfig({ file: file('redis:\n  url: [\n'), env: {} }));
    expect(syntax.message).toMatch(/^TG_ERR_CONFIG: .*c\d+\.yaml:\d+ YAML syntax/);
    const missing = errorOf(() => loadConfig({ file: join(dir, 'nope.yaml'), env: {} }));
    expect(missing.message).toContain('nope.yaml cannot be read (ENOENT)');
    expect(errorOf(() => loadConfig({ env: { TG_CONFIG: join(dir, 'gone.yaml') } })).message).toContain(
      'gone.yaml',
    );
  });

  it('never puts secrets or URL passwords into errors, prints or inspection', () => {
    const secretYaml = BASE.replace('appKey: { env: MY_KIS_KEY }', 'appKey: SUPERSECRETKEY').replace(
      'redis://127.0.0.1:6379',
      'redis://:hunter2pw@127.0.0.1:6379',
    );
    const c = loadConfig({ file: file(secretYaml), env: { MY_KIS_SECRET: 'ANOTHERSECRET' } });
    const printed = JSON.stringify(printableConfig(c)) + inspect(c, { depth: 10 }) + JSON.stringify(c);
    expect(printed).not.toContain('SUPERSECRETKEY');
    expect(printed).not.toContain('ANOTHERSECRET');
    expect(JSON.stringify(printableConfig(c))).not.toContain('hunter2pw');
    // a secret in a place that wants a number, and a password in a malformed URL
    const badRate = errorOf(() =>
      loadConfig({
        file: file(BASE.replace('appKey: { env: MY_KIS_KEY }', 'rateLimitPerSec: SUPERSECRETKEY')),
        env: {},
      }),
    );
    expect(badRate.message).toContain('brokers.kis.rateLimitPerSec');
    expect(badRate.message).not.toContain('SUPERSECRETKEY');
    const badUrl = errorOf(() =>
      loadConfig({ file: file(BASE), env: { DATABASE_URL: 'mysql://root:hunter2pw@db/x' } }),
    );
    expect(badUrl.message).toContain('env DATABASE_URL');
    expect(badUrl.message).not.toContain('hunter2pw');
    const unset = errorOf(() => requireBroker(loadConfig({ file: file(BASE), env: {} }), 'kis', 'ws'));
    expect(unset.message).toMatch(/brokers\.kis\.appKey \(env MY_KIS_KEY\) is not set.*KIS_APP_KEY/);
  });

  it('reads secrets from a file and a per-collector key', () => {
    const keyFile = join(dir, 'key.txt');
    writeFileSync(keyFile, 'file-key\n');
    const c = loadConfig({
      file: file(
        BASE.replace('appKey: { env: MY_KIS_KEY }', `appKey: { file: ${keyFile} }`).replace(
          '{ name: kis-2, broker: kis,',
          '{ name: kis-2, broker: kis, appKey: { env: KEY2 },',
        ),
      ),
      env: { KEY2: 'second-key', MY_KIS_SECRET: 's' },
    });
    expect(c.brokers.kis?.appKey.reveal()).toBe('file-key');
    expect(requireBroker(c, 'kis', 'ws', c.collectors[1]).appKey.reveal()).toBe('second-key');
    const missing = errorOf(() =>
      loadConfig({
        file: file(BASE.replace('appKey: { env: MY_KIS_KEY }', 'appKey: { file: /no/such/key }')),
        env: {},
      }),
    );
    expect(missing.message).toMatch(/:9 brokers\.kis\.appKey\.file cannot be read \(ENOENT/);
  });

  it('reads the symbol universe with codes as written', () => {
    const c = loadConfig({ file: file(BASE + 'symbols:\n  005930: 1000\n  "000660": 500\n'), env: {} });
    expect([...c.symbolVolumes]).toEqual([
      ['005930', 1000],
      ['000660', 500],
    ]);
  });
});
