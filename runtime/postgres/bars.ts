// bars_1m outside the tick path: back-fill upserts (the broker's bar replaces whatever the minute
// had), tick-source upserts (never over a back-filled bar), half-open range reads and the list of
// minutes that have no bar, all with the memory store's semantics.
import { MINUTE_MS } from '../../machines/marketHours.ts';
import type { Bar, BarSource } from '../../machines/types.ts';
import type { StoredBar } from '../../ports/store.ts';
import type { PgPool } from './pool.ts';
import { msFromTs, tsFromMs } from './sql.ts';

/** open_cum/close_cum of a tick-source bar from outside: later ticks may widen it, never re-open it. */
const PINNED_OPEN_CUM = '-9223372036854775808';
const PINNED_CLOSE_CUM = '9223372036854775807';

export class BarStore {
  private readonly pool: PgPool;
  private readonly backfillSql: string;
  private readonly ticksSql: string;
  private readonly rangeSql: string;
  private readonly minutesSql: string;

  constructor(pool: PgPool, schema: string) {
    this.pool = pool;
    const rows = `
      SELECT symbol, ${tsFromMs('minute_ms')} AS minute, open, high, low, close, volume
      FROM unnest($1::text[], $2::float8[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::bigint[])
        AS u(symbol, minute_ms, open, high, low, close, volume)
      ORDER BY 1, 2`;
    const columns = 'symbol, minute, open, high, low, close, volume, source, open_cum, close_cum';
    this.backfillSql = `
      INSERT INTO ${schema}.bars_1m AS b (${columns})
      SELECT r.*, 'backfill', NULL::bigint, NULL::bigint FROM (${rows}) r
      ON CONFLICT (symbol, minute) DO UPDATE SET
        open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
        volume = EXCLUDED.volume, source = 'backfill', open_cum = NULL, close_cum = NULL`;
    this.ticksSql = `
      INSERT INTO ${schema}.bars_1m AS b (${columns})
      SELECT r.*, 'ticks', '${PINNED_OPEN_CUM}'::bigint, '${PINNED_CLOSE_CUM}'::bigint FROM (${rows}) r
      ON CONFLICT (symbol, minute) DO UPDATE SET
        open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
        volume = EXCLUDED.volume, open_cum = EXCLUDED.open_cum, close_cum = EXCLUDED.close_cum
      WHERE b.source = 'ticks'`;
    this.rangeSql = `
      SELECT symbol, ${msFromTs('minute')} AS minute, open, high, low, close, volume, source
      FROM ${schema}.bars_1m
      WHERE symbol = $1 AND minute >= ${tsFromMs('$2')} AND minute < ${tsFromMs('$3')}
      ORDER BY minute`;
    this.minutesSql = `
      SELECT ${msFromTs('minute')} AS minute FROM ${schema}.bars_1m
      WHERE symbol = $1 AND minute >= ${tsFromMs('$2')} AND minute < ${tsFromMs('$3')}`;
  }

  async upsert(bars: Bar[], source: BarSource): Promise<void> {
    const unique = lastPerMinute(bars);
    if (unique.length === 0) return;
    const params = [
      unique.map((b) => b.symbol),
      unique.map((b) => b.minute),
      unique.map((b) => b.open),
      unique.map((b) => b.high),
      unique.map((b) => b.low),
      unique.map((b) => b.close),
      unique.map((b) => b.volume),
    ];
    await this.pool.query(
      'store.upsertBars',
      source === 'backfill' ? this.backfillSql : this.ticksSql,
      params,
    );
  }

  async range(symbol: string, fromMinute: number, toMinute: number): Promise<StoredBar[]> {
    return this.pool.query<StoredBar>('store.bars', this.rangeSql, [symbol, fromMinute, toMinute]);
  }

  async missingMinutes(symbol: string, fromMinute: number, toMinute: number): Promise<number[]> {
    const rows = await this.pool.query<{ minute: number }>('store.missingMinutes', this.minutesSql, [
      symbol,
      fromMinute,
      toMinute,
    ]);
    const present = new Set(rows.map((r) => r.minute));
    const out: number[] = [];
    const first = Math.ceil(fromMinute / MINUTE_MS) * MINUTE_MS;
    for (let m = first; m < toMinute; m += MINUTE_MS) if (!present.has(m)) out.push(m);
    return out;
  }
}

/** One row per (symbol, minute), the last one given winning, as successive memory upserts would. */
function lastPerMinute(bars: Bar[]): Bar[] {
  const byKey = new Map<string, Bar>();
  for (const b of bars) byKey.set(`${b.symbol}\u0000${b.minute}`, b);
  return [...byKey.values()];
}
