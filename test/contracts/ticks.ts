// Tick tapes for the store suites: a trade sequence that tiles the cumulative-volume axis, ways to
// re-batch it in any order, and the reference minute bars a correct store must produce from it.
import type { Bar, TickBatch } from '../../machines/types.ts';
import { MINUTE_MS } from '../../machines/marketHours.ts';

export interface Trade {
  ts: number;
  cumVolume: number;
  price: number;
  volume: number;
}

/** Trades from (gap since previous, volume, price) steps, starting at `start`. */
export function tape(start: number, steps: { dt: number; volume: number; price: number }[]): Trade[] {
  let ts = start;
  let cum = 0;
  return steps.map((s) => {
    ts += s.dt;
    cum += s.volume;
    return { ts, cumVolume: cum, price: s.price, volume: s.volume };
  });
}

/** Pack trades (in the given order) into batches of the given sizes (the last size repeats). */
export function toBatches(
  symbol: string,
  day: string,
  trades: Trade[],
  sizes: number[] = [trades.length],
): TickBatch[] {
  const out: TickBatch[] = [];
  let i = 0;
  let k = 0;
  while (i < trades.length) {
    const size = Math.max(1, sizes[Math.min(k++, sizes.length - 1)] ?? 1);
    const chunk = trades.slice(i, i + size);
    i += size;
    out.push({
      symbol,
      day,
      ts: chunk.map((t) => t.ts),
      cumVolume: chunk.map((t) => t.cumVolume),
      price: chunk.map((t) => t.price),
      volume: chunk.map((t) => t.volume),
    });
  }
  return out;
}

/** The true minute bars of a trade set (each trade once), sorted by minute. */
export function referenceBars(symbol: string, trades: Trade[]): Bar[] {
  const byMinute = new Map<number, Trade[]>();
  for (const t of trades) {
    const m = Math.floor(t.ts / MINUTE_MS) * MINUTE_MS;
    byMinute.set(m, [...(byMinute.get(m) ?? []), t]);
  }
  return [...byMinute.entries()]
    .sort(([a], [b]) => a - b)
    .map(([minute, ts]) => {
      const byCum = [...ts].sort((a, b) => a.cumVolume - b.cumVolume);
      return {
        symbol,
        minute,
        open: byCum[0].price,
        high: Math.max(...ts.map((t) => t.price)),
        low: Math.min(...ts.map((t) => t.price)),
        close: byCum[byCum.length - 1].price,
        volume: ts.reduce((s, t) => s + t.volume, 0),
      };
    });
}
