// Wire format of tick batches in Redis stream entries and disk spool records: one JSON text of the
// columnar arrays, timestamps and cumulative volumes delta-encoded (about half the bytes of plain
// JSON). Decoding never throws: a bad text yields a reason, so one corrupt entry cannot stop a reader.
import type { TickBatch } from '../../machines/types.ts';

/** Format version written in stream entries (field `v`); readers skip (not drop) newer versions. */
export const TICK_CODEC_VERSION = '1';

/**
 * One batch on the wire. `t`/`c` hold the first value then successive differences (integers only);
 * `T`/`C` hold absolute values, used when a column has a non-integer (delta of floats would drift).
 */
interface WireBatch {
  s: string;
  d: string;
  t?: number[];
  T?: number[];
  c?: number[];
  C?: number[];
  p: number[];
  v: number[];
}

export type DecodeResult = { ok: true; batches: TickBatch[] } | { ok: false; reason: string };

export function encodeTickBatches(batches: readonly TickBatch[]): string {
  return JSON.stringify(batches.map(toWire));
}

export function decodeTickBatches(text: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (!Array.isArray(parsed)) return { ok: false, reason: 'not an array of batches' };
  const batches: TickBatch[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const batch = fromWire(parsed[i]);
    if (typeof batch === 'string') return { ok: false, reason: `batch ${i}: ${batch}` };
    batches.push(batch);
  }
  return { ok: true, batches };
}

function toWire(b: TickBatch): WireBatch {
  const w: WireBatch = { s: b.symbol, d: b.day, p: b.price, v: b.volume };
  const t = deltas(b.ts);
  if (t) w.t = t;
  else w.T = b.ts;
  const c = deltas(b.cumVolume);
  if (c) w.c = c;
  else w.C = b.cumVolume;
  return w;
}

/** A TickBatch, or why the value is not one. */
function fromWire(value: unknown): TickBatch | string {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const w = value as Partial<WireBatch>;
  if (typeof w.s !== 'string' || typeof w.d !== 'string') return 'symbol or day missing';
  const ts = w.t !== undefined ? undelta(w.t) : numbers(w.T);
  const cumVolume = w.c !== undefined ? undelta(w.c) : numbers(w.C);
  const price = numbers(w.p);
  const volume = numbers(w.v);
  if (!ts || !cumVolume || !price || !volume) return 'a column is missing or not numeric';
  const n = ts.length;
  if (cumVolume.length !== n || price.length !== n || volume.length !== n) return 'columns differ in length';
  return { symbol: w.s, day: w.d, ts, cumVolume, price, volume };
}

/** First value then differences, or undefined when a value or a difference is not a safe integer. */
function deltas(xs: readonly number[]): number[] | undefined {
  const out = new Array<number>(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const d = i === 0 ? xs[0] : xs[i] - xs[i - 1];
    if (!Number.isSafeInteger(xs[i]) || !Number.isSafeInteger(d)) return undefined;
    out[i] = d;
  }
  return out;
}

function undelta(value: unknown): number[] | undefined {
  const xs = numbers(value);
  if (!xs) return undefined;
  const out = new Array<number>(xs.length);
  let acc = 0;
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isSafeInteger(xs[i])) return undefined;
    acc = i === 0 ? xs[0] : acc + xs[i];
    if (!Number.isSafeInteger(acc)) return undefined;
    out[i] = acc;
  }
  return out;
}

function numbers(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  for (let i = 0; i < value.length; i++) {
    const x = value[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) return undefined;
  }
  return value as number[];
}
