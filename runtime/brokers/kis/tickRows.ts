// Decoded trades of any feed, one row each, folded into TickBatch[] (one batch per symbol and trading
// day, in order of first appearance, rows in arrival order), the unit the collectors hand on.
import { TgError } from '../../../machines/errors.ts';
import type { TickBatch } from '../../../machines/types.ts';

export interface TickRow {
  symbol: string;
  day: string;
  ts: number;
  cumVolume: number;
  price: number;
  volume: number;
}

export function groupTickRows(rows: readonly TickRow[]): TickBatch[] {
  const batches = new Map<string, TickBatch>();
  for (const r of rows) {
    const key = `${r.symbol}|${r.day}`;
    let batch = batches.get(key);
    if (!batch) {
      batch = { symbol: r.symbol, day: r.day, ts: [], cumVolume: [], price: [], volume: [] };
      batches.set(key, batch);
    }
    batch.ts.push(r.ts);
    batch.cumVolume.push(r.cumVolume);
    batch.price.push(r.price);
    batch.volume.push(r.volume);
  }
  return [...batches.values()];
}

/** Encoders refuse malformed batches: they are our own data, so this is a programming error. */
export function assertBatchShape(batch: TickBatch): void {
  const n = batch.ts.length;
  if (n === 0 || batch.cumVolume.length !== n || batch.price.length !== n || batch.volume.length !== n) {
    throw new TgError('TG_ERR_INTERNAL', `tick batch of ${batch.symbol} has ragged or empty columns`, {
      symbol: batch.symbol,
    });
  }
}
