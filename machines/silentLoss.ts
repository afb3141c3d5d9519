// Silent-loss detector: a tick's cumulative volume minus its own volume must equal the previous
// tick's cumulative volume; a larger jump between batches means trades were missed in between.
// Pure and per process: after a restart or reconnect it starts fresh (the supervisor owns those gaps).
import type { TickBatch } from './types.ts';

/** A closed interval of missed trades: [last tick before, first tick after]. */
export interface SilentLossGap {
  /** `gap:${symbol}:${start}`: the same id scheme the supervisor uses, so ledger writes dedupe. */
  id: string;
  symbol: string;
  start: number;
  end: number;
  /** Volume that traded in between and never reached this process. */
  missedVolume: number;
}

interface LastSeen {
  day: string;
  cum: number;
  ts: number;
}

export class SilentLossDetector {
  private readonly last = new Map<string, LastSeen>();

  /** Check one batch against what this process saw of the symbol, then remember its last tick. */
  check(batch: TickBatch): SilentLossGap | undefined {
    const n = batch.cumVolume.length;
    if (n === 0) return undefined;
    const firstCum = batch.cumVolume[0];
    const firstVol = batch.volume[0];
    const firstTs = batch.ts[0];
    const lastCum = batch.cumVolume[n - 1];
    const lastTs = batch.ts[n - 1];
    // Garbage must neither raise a gap nor poison what we remember.
    if (![firstCum, firstVol, firstTs, lastCum, lastTs].every(Number.isFinite)) return undefined;

    const prev = this.last.get(batch.symbol);
    if (!prev || prev.day !== batch.day) {
      this.last.set(batch.symbol, { day: batch.day, cum: lastCum, ts: lastTs });
      return undefined;
    }
    let gap: SilentLossGap | undefined;
    const missedVolume = firstCum - firstVol - prev.cum;
    if (missedVolume > 0) {
      gap = {
        id: `gap:${batch.symbol}:${prev.ts}`,
        symbol: batch.symbol,
        start: prev.ts,
        end: Math.max(prev.ts, firstTs),
        missedVolume,
      };
    }
    // A late or repeated batch (nothing beyond what we have) must not move the mark backwards.
    if (lastCum > prev.cum) {
      prev.cum = lastCum;
      prev.ts = lastTs;
    }
    return gap;
  }

  /** Forget everything (new connection: continuity across the break is not ours to judge). */
  reset(): void {
    this.last.clear();
  }

  /** Symbols tracked so far (inspection). */
  size(): number {
    return this.last.size;
  }
}
