// The "nothing lost, nothing twice" oracle of the data-path chaos tests: a witness (its own KIS
// WebSocket session on the emulator) records every trade the emulator pushes; the oracle compares
// the pipeline's `ticks` and `bars_1m` with it and with the emulator's truth bars, field by field.
import type pg from 'pg';
import { MINUTE_MS, minuteOf } from '../../machines/marketHours.ts';
import type { TickBatch } from '../../machines/types.ts';
import { createBrokerPorts, type BrokerPorts } from '../../runtime/brokers/index.ts';
import type { EmulatorHandle } from '../../runtime/emulator/index.ts';
import { emulatorTruthBars } from '../infra/emulatorTruth.ts';

export interface Trade {
  day: string;
  ts: number;
  cumVolume: number;
  price: number;
  volume: number;
}

/** Every trade the emulator pushed for the symbols, in order, seen on an independent session. */
export class Witness {
  private readonly trades = new Map<string, Trade[]>();
  /** Set when the witness itself missed something: the comparison would then prove nothing. */
  broken: string | undefined;

  private constructor(private readonly broker: BrokerPorts) {}

  static async start(emu: EmulatorHandle, symbols: string[], appKey: string): Promise<Witness> {
    const broker = createBrokerPorts({
      broker: 'kis',
      restUrl: emu.url,
      wsUrl: emu.wsUrl,
      appKey,
      appSecret: 'witness-secret',
    });
    const w = new Witness(broker);
    for (const s of symbols) w.trades.set(s, []);
    await broker.ws.connect({
      onBatches: (batches) => w.record(batches),
      onClose: (reason) => (w.broken ??= `witness connection closed: ${reason}`),
      onBadFrame: (reason) => (w.broken ??= `witness got a bad frame: ${reason}`),
    });
    const sub = await broker.ws.subscribe(symbols);
    if (sub.accepted.length !== symbols.length) throw new Error(`witness subscribe: ${JSON.stringify(sub)}`);
    return w;
  }

  private record(batches: TickBatch[]): void {
    for (const b of batches) {
      const list = this.trades.get(b.symbol);
      if (!list) continue;
      for (let i = 0; i < b.ts.length; i++) {
        const t = {
          day: b.day,
          ts: b.ts[i],
          cumVolume: b.cumVolume[i],
          price: b.price[i],
          volume: b.volume[i],
        };
        const prev = list[list.length - 1];
        if (prev && t.cumVolume !== prev.cumVolume + t.volume)
          this.broken ??= `witness feed not contiguous at ${b.symbol} ${prev.cumVolume} -> ${t.cumVolume}`;
        list.push(t);
      }
    }
  }

  of(symbol: string): readonly Trade[] {
    return this.trades.get(symbol) ?? [];
  }

  close(): Promise<void> {
    return this.broker.ws.close();
  }
}

type Db = pg.Client | pg.Pool;

interface StoredTick extends Trade {
  collector: string;
}

async function storedTicks(db: Db, schema: string, symbol: string): Promise<StoredTick[]> {
  const r = await db.query(
    `select to_char(day, 'YYYYMMDD') as day, cum_volume, extract(epoch from ts) * 1000 as ts, price, volume, collector
       from ${schema}.ticks where symbol = $1 order by day, cum_volume`,
    [symbol],
  );
  return r.rows.map((row) => ({
    day: row.day,
    ts: Math.round(Number(row.ts)),
    cumVolume: Number(row.cum_volume),
    price: Number(row.price),
    volume: Number(row.volume),
    collector: row.collector,
  }));
}

/** Resolves once every symbol has a stored tick at or after `emuTime` (the pipeline caught up). */
export async function waitStoredPast(
  db: Db,
  schema: string,
  symbols: string[],
  emuTime: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await db
      .query(
        `select symbol, extract(epoch from max(ts)) * 1000 as last from ${schema}.ticks where symbol = any($1) group by symbol`,
        [symbols],
      )
      .catch(() => ({ rows: [] as { symbol: string; last: string }[] }));
    const done = symbols.every((s) => r.rows.some((row) => row.symbol === s && Number(row.last) >= emuTime));
    if (done) return;
    if (Date.now() > deadline)
      throw new Error(
        `${schema}: ticks did not reach ${new Date(emuTime).toISOString()} within ${timeoutMs} ms`,
      );
    await new Promise((res) => setTimeout(res, 250));
  }
}

export interface SymbolReport {
  symbol: string;
  ticks: number;
  firstTs: number;
  lastTs: number;
  /** Minutes compared with the truth (complete minutes strictly inside the captured interval). */
  minutes: number[];
}

export interface OracleReport {
  symbols: SymbolReport[];
  ticks: number;
  bars: number;
  /** Empty when the store equals the truth. */
  problems: string[];
}

/**
 * For each symbol, over the interval the pipeline captured (first .. last stored tick):
 * - ticks: unique by (day, cum_volume), contiguous (each cum_volume = previous + own volume: no hole),
 *   and equal, row for row and field for field, to the trades the witness saw in that range;
 * - bars_1m: every complete minute strictly inside the interval equals the emulator's truth bar.
 */
export async function checkDataPath(o: {
  db: Db;
  schema: string;
  symbols: string[];
  witness: Witness;
  emu: EmulatorHandle;
  collector: string;
}): Promise<OracleReport> {
  const { db, schema } = o;
  const problems: string[] = [];
  const symbols: SymbolReport[] = [];
  if (o.witness.broken) problems.push(o.witness.broken);
  for (const symbol of o.symbols) {
    const rows = await storedTicks(db, schema, symbol);
    if (rows.length === 0) {
      problems.push(`${symbol}: no ticks stored`);
      continue;
    }
    const distinct = new Set(rows.map((r) => `${r.day}/${r.cumVolume}`)).size;
    if (distinct !== rows.length)
      problems.push(`${symbol}: ${rows.length - distinct} duplicate (day, cum_volume) rows`);
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1];
      const b = rows[i];
      if (b.cumVolume !== a.cumVolume + b.volume)
        problems.push(
          `${symbol}: hole between cum_volume ${a.cumVolume} and ${b.cumVolume} (volume ${b.volume})`,
        );
    }
    const first = rows[0];
    const last = rows[rows.length - 1];
    const seen = o.witness.of(symbol);
    if (
      seen.length === 0 ||
      seen[0].cumVolume > first.cumVolume ||
      seen[seen.length - 1].cumVolume < last.cumVolume
    )
      problems.push(`${symbol}: the witness does not cover cum_volume ${first.cumVolume}..${last.cumVolume}`);
    const truth = seen.filter((t) => t.cumVolume >= first.cumVolume && t.cumVolume <= last.cumVolume);
    if (truth.length !== rows.length)
      problems.push(
        `${symbol}: ${rows.length} ticks stored, the emulator pushed ${truth.length} in that range`,
      );
    const byCum = new Map(rows.map((r) => [r.cumVolume, r]));
    const differing = truth.filter((t) => {
      const r = byCum.get(t.cumVolume);
      return !r || r.day !== t.day || r.ts !== t.ts || r.price !== t.price || r.volume !== t.volume;
    });
    if (differing.length > 0)
      problems.push(
        `${symbol}: ${differing.length} trades differ or are missing, first ${JSON.stringify(differing[0])}`,
      );
    const foreign = rows.filter((r) => r.collector !== o.collector).length;
    if (foreign > 0) problems.push(`${symbol}: ${foreign} ticks attributed to another collector`);

    const from = minuteOf(first.ts) + MINUTE_MS;
    const to = minuteOf(last.ts);
    const expected = (await emulatorTruthBars(o.emu.url, symbol)).filter(
      (b) => b.minute >= from && b.minute < to,
    );
    const stored = await db.query(
      `select extract(epoch from minute) * 1000 as minute, open, high, low, close, volume from ${schema}.bars_1m
        where symbol = $1 and minute >= to_timestamp($2 / 1000.0) and minute < to_timestamp($3 / 1000.0) order by minute`,
      [symbol, from, to],
    );
    const bars = stored.rows.map((r) => ({
      minute: Math.round(Number(r.minute)),
      open: Number(r.open),
      high: Number(r.high),
      low: Number(r.low),
      close: Number(r.close),
      volume: Number(r.volume),
    }));
    if (expected.length !== (to - from) / MINUTE_MS)
      problems.push(
        `${symbol}: truth has ${expected.length} bars for ${(to - from) / MINUTE_MS} complete minutes`,
      );
    const key = (b: (typeof bars)[number]) => JSON.stringify(b);
    const want = new Set(expected.map(key));
    const got = new Set(bars.map(key));
    const wrong = bars.filter((b) => !want.has(key(b)));
    const absent = expected.filter((b) => !got.has(key(b)));
    if (wrong.length > 0 || absent.length > 0 || bars.length !== expected.length)
      problems.push(
        `${symbol}: bars_1m differs from the truth: ${wrong.length} wrong, ${absent.length} missing; ` +
          `first wrong ${JSON.stringify(wrong[0])}, expected ${JSON.stringify(expected.find((e) => e.minute === wrong[0]?.minute) ?? absent[0])}`,
      );
    symbols.push({
      symbol,
      ticks: rows.length,
      firstTs: first.ts,
      lastTs: last.ts,
      minutes: expected.map((b) => b.minute),
    });
  }
  return {
    symbols,
    ticks: symbols.reduce((n, s) => n + s.ticks, 0),
    bars: symbols.reduce((n, s) => n + s.minutes.length, 0),
    problems,
  };
}

/** Whether the compared minutes of every symbol include the minutes of [fromEmu, toEmu]. */
export function coversWindow(report: OracleReport, fromEmu: number, toEmu: number): boolean {
  return report.symbols.every(
    (s) => s.minutes.includes(minuteOf(fromEmu)) && s.minutes.includes(minuteOf(toEmu)),
  );
}
