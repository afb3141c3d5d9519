// A live world for the recovery and gatekeeper chaos tests: the broker emulator in-process on real
// time, a config file on the shared (or a private) Redis and PostgreSQL with its own prefix and
// schema, real `tickguard` processes, and readers for the emulator's truth, bars_1m and the ledger.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MINUTE_MS, kstMidnight } from '../../machines/marketHours.ts';
import type { Bar, Gap } from '../../machines/types.ts';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../runtime/emulator/index.ts';
import { createPgStore, type PgStore } from '../../runtime/postgres/index.ts';
import { startTickguard, until, type LogLine, type TgProcess } from './processes.ts';
import { emulatorTruthBars } from '../infra/emulatorTruth.ts';

export { until };

export interface AppKeyStats {
  requests: number;
  rejections: number;
  maxRequestsInAnySecond: number;
}

export type PlainBar = Omit<Bar, 'symbol'>;
export type Ohlcv = Omit<PlainBar, 'minute'>;

export interface WorldOptions {
  redisUrl: string;
  databaseUrl: string;
  /** redis-gatekeeper; default the main Redis. */
  gatekeeperUrl?: string;
  emulator: EmulatorOptions;
  /** REST requests per second of the app key: the gatekeeper's limit (the emulator gets its own). */
  rateLimitPerSec: number;
  /** KIS collectors; `symbols` a list or the N busiest of the emulator. */
  collectors?: { name: string; symbols: string[] | number }[];
  /** Previous-session volumes (dispatch priority) for the config's `symbols` map. */
  volumes?: Record<string, number>;
  /** Extra YAML inside `tuning: { ... }`. */
  tuning?: string;
  /** Heartbeat interval and detector ceiling; default 500 / 2500 ms. */
  heartbeat?: { intervalMs: number; timeoutMs: number };
}

export interface ChaosWorld {
  run: string;
  dir: string;
  configFile: string;
  emu: EmulatorHandle;
  appKey: string;
  store: PgStore;
  db: pg.Client;
  schema: string;
  procs: TgProcess[];
  start(name: string, args: string[], env?: Record<string, string>): TgProcess;
  stats(): Promise<AppKeyStats>;
  truth(symbol: string): Promise<(PlainBar & { minute: number })[]>;
  /** bars_1m of [fromMinute, toMinute] (both inclusive). */
  bars(symbol: string, fromMinute: number, toMinute: number): Promise<(PlainBar & { source: string })[]>;
  gaps(): Promise<Gap[]>;
  close(): Promise<void>;
}

const quote = (s: string) => JSON.stringify(s);

export async function createChaosWorld(o: WorldOptions): Promise<ChaosWorld> {
  const run = Math.random().toString(36).slice(2, 8);
  const schema = `tg_chaos_${run}`;
  const appKey = `chaos-key-${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'tg-chaos-'));
  const emu = await startEmulator(o.emulator);
  const configFile = join(dir, 'tickguard.yaml');
  const collectors = (o.collectors ?? []).map((c) => {
    const codes = typeof c.symbols === 'number' ? emu.symbols.slice(0, c.symbols) : c.symbols;
    return `  - { name: ${c.name}, broker: kis, symbols: [${codes.map(quote).join(', ')}] }`;
  });
  const beat = o.heartbeat ?? { intervalMs: 500, timeoutMs: 2500 };
  const volumes = Object.entries(o.volumes ?? {}).map(([s, v]) => `${quote(s)}: ${v}`);
  writeFileSync(
    configFile,
    [
      `redis: { url: ${quote(o.redisUrl)}, gatekeeperUrl: ${quote(o.gatekeeperUrl ?? o.redisUrl)}, prefix: "tg:test:${run}:" }`,
      `database: { url: ${quote(o.databaseUrl)}, schema: ${schema} }`,
      'brokers:',
      `  kis: { restUrl: ${quote(emu.url)}, wsUrl: ${quote(emu.wsUrl)}, appKey: ${appKey}, appSecret: chaos-secret, rateLimitPerSec: ${o.rateLimitPerSec} }`,
      collectors.length > 0 ? `collectors:\n${collectors.join('\n')}` : '',
      volumes.length > 0 ? `symbols: { ${volumes.join(', ')} }` : '',
      `spoolDir: ${join(dir, 'spool')}`,
      'marketOpen: always',
      `tuning: { heartbeatIntervalMs: ${beat.intervalMs}, heartbeatTimeoutMs: ${beat.timeoutMs}${o.tuning ? `, ${o.tuning}` : ''} }`,
      '',
    ].join('\n'),
  );
  const store = await createPgStore({ url: o.databaseUrl, schema });
  await store.migrate();
  const db = new pg.Client({ connectionString: o.databaseUrl });
  await db.connect();
  const procs: TgProcess[] = [];
  const world: ChaosWorld = {
    run,
    dir,
    configFile,
    emu,
    appKey,
    store,
    db,
    schema,
    procs,
    start(name, args, env = {}) {
      const p = startTickguard(name, [...args, '--config', configFile], env);
      procs.push(p);
      return p;
    },
    async stats() {
      const body = (await (await fetch(`${emu.url}/_emulator/stats`)).json()) as {
        appKeys: Record<string, AppKeyStats>;
      };
      return body.appKeys[appKey] ?? { requests: 0, rejections: 0, maxRequestsInAnySecond: 0 };
    },
    truth: (symbol) => emulatorTruthBars(emu.url, symbol),
    async bars(symbol, fromMinute, toMinute) {
      const rows = await store.bars(symbol, fromMinute, toMinute + MINUTE_MS);
      return rows.map(({ minute, open, high, low, close, volume, source }) => ({
        minute,
        open,
        high,
        low,
        close,
        volume,
        source,
      }));
    },
    gaps: () => store.listGaps(),
    async close() {
      await Promise.all(procs.map((p) => (p.running() ? p.kill('SIGKILL') : undefined)));
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await Promise.allSettled([db.end(), store.close(), emu.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

export interface Comparison {
  /** Truth minutes in the range. */
  expected: number;
  /** Truth minutes whose stored bar equals the truth (OHLCV). */
  equal: number;
  /** Minutes that differ, are missing or are stored without a truth bar. */
  mismatches: { minute: string; truth?: Ohlcv; stored?: Ohlcv }[];
  completeness: number;
}

/** bars_1m against the emulator's truth for every minute in [fromMinute, toMinute]. */
export async function compareWithTruth(
  world: ChaosWorld,
  symbol: string,
  fromMinute: number,
  toMinute: number,
): Promise<Comparison> {
  const truth = (await world.truth(symbol)).filter((b) => b.minute >= fromMinute && b.minute <= toMinute);
  const stored = new Map((await world.bars(symbol, fromMinute, toMinute)).map((b) => [b.minute, b]));
  const mismatches: Comparison['mismatches'] = [];
  let equal = 0;
  const ohlcv = (b: Ohlcv): Ohlcv => ({
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: b.volume,
  });
  for (const t of truth) {
    const s = stored.get(t.minute);
    stored.delete(t.minute);
    if (s && JSON.stringify(ohlcv(s)) === JSON.stringify(ohlcv(t))) equal++;
    else mismatches.push({ minute: iso(t.minute), truth: ohlcv(t), stored: s && ohlcv(s) });
  }
  for (const s of stored.values()) mismatches.push({ minute: iso(s.minute), stored: ohlcv(s) });
  return {
    expected: truth.length,
    equal,
    mismatches,
    completeness: truth.length === 0 ? 0 : equal / truth.length,
  };
}

/** Polls `probe` until it returns a value (not undefined) or the deadline passes. */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const iso = (ms: number) => new Date(ms).toISOString();

export const minuteOf = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

export interface RequestLine {
  gapId: string;
  symbol: string;
  at: number;
  from: number;
  to: number;
  gatekeeperMode?: string;
  /** Which worker process (index in the list given to backfillRequests). */
  worker: number;
}

/** Every `backfill request` line the recovery worker processes logged, in time order. */
export function backfillRequests(...workers: TgProcess[]): RequestLine[] {
  const out: RequestLine[] = [];
  workers.forEach((w, worker) => {
    for (const l of w.lines) {
      if (l.msg !== 'backfill request') continue;
      out.push({
        gapId: String(l.gapId),
        symbol: String(l.symbol),
        at: Number(l.at),
        from: Date.parse(String(l.from)),
        to: Date.parse(String(l.to)),
        gatekeeperMode: l.gatekeeperMode as string | undefined,
        worker,
      });
    }
  });
  return out.sort((a, b) => a.at - b.at);
}

/** Events the supervisor logged (msg 'event'), of one type. */
export function supervisorEvents<T = Record<string, unknown>>(sup: TgProcess, type: string): T[] {
  return sup.lines
    .filter((l) => l.msg === 'event' && (l.event as { type?: string } | undefined)?.type === type)
    .map((l) => l.event as T);
}

/** A supervisor `event` log line of this event type whose fields include `fields`. */
export const isEvent =
  (type: string, fields: Record<string, unknown> = {}) =>
  (l: LogLine): boolean => {
    const event = l.event as Record<string, unknown> | undefined;
    return (
      l.msg === 'event' && event?.type === type && Object.entries(fields).every(([k, v]) => event[k] === v)
    );
  };

export const isLine =
  (msg: string, component?: string) =>
  (l: LogLine): boolean =>
    l.msg === msg && (component === undefined || l.component === component);

/** A closed gap over past minutes of the emulator's history, as the ledger holds one. */
export function historyGap(symbol: string, start: number, end: number, priority: number): Gap {
  return {
    id: `gap:${symbol}:${start}`,
    collector: 'collector:chaos',
    symbol,
    start,
    end,
    status: 'open',
    priority,
    recoveredUntil: minuteOf(start),
    attempts: 0,
    reason: null,
  };
}

/** Previous-session volume per symbol from the emulator (what the symbols table would hold). */
export async function emulatorVolumes(emu: EmulatorHandle): Promise<Map<string, number>> {
  const rows = (await (await fetch(`${emu.url}/_emulator/symbols`)).json()) as {
    symbol: string;
    prevVolume: number;
  }[];
  return new Map(rows.map((r) => [r.symbol, r.prevVolume]));
}

/**
 * Why a test cannot run now, else undefined. The emulator's trading day (like KIS's today-only
 * minute bars) starts at KST midnight: a test needs that much history behind it and must not run
 * across midnight.
 */
export function kstDayTooShort(
  historyMinutes: number,
  runMinutes: number,
  now = Date.now(),
): string | undefined {
  const sinceMidnight = (now - kstMidnight(now)) / MINUTE_MS;
  if (sinceMidnight < historyMinutes + 2)
    return `needs ${historyMinutes} minutes of the KST day behind it (${Math.floor(sinceMidnight)} so far)`;
  if (sinceMidnight + runMinutes > 1440) return `would run across KST midnight`;
  return undefined;
}
