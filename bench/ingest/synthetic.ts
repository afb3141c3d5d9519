// Synthetic KRX-like tick stream for the ingest benchmark: ~2,500 symbols with Zipf-like activity,
// per-symbol cumulative volumes, trades spread over the morning session, packed the way collectors
// append them (one symbol per batch, a few trades per batch, up to 256 batches per buffer entry).
import { kstTime } from '../../machines/marketHours.ts';
import type { TickBatch } from '../../machines/types.ts';

export interface SyntheticEntry {
  collector: string;
  batches: TickBatch[];
}

export interface SyntheticMarket {
  day: string;
  entries: SyntheticEntry[];
  ticks: number;
  symbols: number;
}

export interface SyntheticOptions {
  ticks: number;
  symbols?: number;
  collectors?: string[];
  batchesPerEntry?: number;
  seed?: number;
  day?: string;
}

/** Deterministic 32-bit generator (mulberry32): the same seed gives the same market. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cumulative Zipf(s = 1.1) weights over ranks 1..n, for picking a symbol with one binary search. */
function zipfCdf(n: number): Float64Array {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) cdf[k] = total += 1 / Math.pow(k + 1, 1.1);
  for (let k = 0; k < n; k++) cdf[k] /= total;
  return cdf;
}

function pick(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function syntheticMarket(o: SyntheticOptions): SyntheticMarket {
  const symbols = o.symbols ?? 2500;
  const collectors = o.collectors ?? ['collector:kis-1', 'collector:kis-2', 'collector:kiwoom-1'];
  const perEntry = o.batchesPerEntry ?? 256;
  const day = o.day ?? '20250102';
  const random = rng(o.seed ?? 7);
  const cdf = zipfCdf(symbols);
  const codes = Array.from({ length: symbols }, (_, i) => String(100_000 + i * 7).padStart(6, '0'));
  const cum = new Float64Array(symbols);
  const price = Float64Array.from({ length: symbols }, () => 1000 + Math.floor(random() * 90_000));
  // The whole run spans the session's first 2.5 hours, whatever the tick count.
  const start = kstTime(day, '09:00');
  const stepMs = (150 * 60_000) / o.ticks;
  const pending = collectors.map(() => [] as TickBatch[]);
  const entries: SyntheticEntry[] = [];
  let ts = start;
  let made = 0;
  while (made < o.ticks) {
    const s = pick(cdf, random());
    const n = Math.min(o.ticks - made, 1 + Math.floor(random() * random() * 4));
    const batch: TickBatch = { symbol: codes[s], day, ts: [], cumVolume: [], price: [], volume: [] };
    for (let i = 0; i < n; i++) {
      const volume = 1 + Math.floor(Math.pow(random(), 3) * 500);
      cum[s] += volume;
      price[s] = Math.max(1, price[s] + (Math.floor(random() * 3) - 1) * 5);
      ts += stepMs;
      batch.ts.push(Math.floor(ts));
      batch.cumVolume.push(cum[s]);
      batch.price.push(price[s]);
      batch.volume.push(volume);
    }
    made += n;
    const c = s % collectors.length;
    pending[c].push(batch);
    if (pending[c].length >= perEntry) {
      entries.push({ collector: collectors[c], batches: pending[c] });
      pending[c] = [];
    }
  }
  pending.forEach((batches, c) => {
    if (batches.length > 0) entries.push({ collector: collectors[c], batches });
  });
  return { day, entries, ticks: made, symbols };
}

/** The market's ticks as flat rows (ticks table columns), in append order. */
export function* tickRows(
  market: SyntheticMarket,
): Generator<[string, string, number, number, number, number, string]> {
  for (const e of market.entries)
    for (const b of e.batches)
      for (let i = 0; i < b.ts.length; i++)
        yield [b.symbol, b.day, b.cumVolume[i], b.ts[i], b.price[i], b.volume[i], e.collector];
}
