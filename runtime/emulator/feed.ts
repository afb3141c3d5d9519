// Turns the exchange's trade batches into wire messages: KIS H0STCNT0 frames and Kiwoom REAL 0B
// pushes, encoded once per symbol and interval whoever listens. A symbol's running day (open, high,
// low, traded value, buy/sell split) is kept only while someone listens, seeded from the exchange's
// bars when listening starts, so symbols nobody watches cost nothing.
import { minuteOf } from '../../machines/marketHours.ts';
import type { TickBatch } from '../../machines/types.ts';
import { encodeH0stcnt0Frames } from '../brokers/kis/h0stcnt0Encode.ts';
import { startSymbolDay, type SymbolDay, type SymbolDayContext } from '../brokers/kis/tradeDay.ts';
import { kstHms } from '../brokers/kis/wire.ts';
import { encodeKiwoomReal } from '../brokers/kiwoom/real0b.ts';
import type { Market } from './market.ts';

export interface Encoded {
  kisFrames?: string[];
  kiwoomMessage?: string;
}

export class FeedEncoder {
  private readonly market: Market;
  private day = '';
  private readonly days = new Map<string, SymbolDay>();

  constructor(market: Market) {
    this.market = market;
  }

  encode(batch: TickBatch, want: { kis: boolean; kiwoom: boolean }): Encoded {
    if (batch.day !== this.day) {
      this.day = batch.day;
      this.days.clear();
    }
    if (!want.kis && !want.kiwoom) {
      this.days.delete(batch.symbol);
      return {};
    }
    const context = this.context(batch.symbol);
    const before = this.days.get(batch.symbol) ?? this.seed(batch, context);
    const out: Encoded = {};
    let after: SymbolDay | undefined;
    if (want.kis) {
      const enc = encodeH0stcnt0Frames(batch, { day: before, context });
      out.kisFrames = enc.frames;
      after = enc.day;
    }
    if (want.kiwoom) {
      const enc = encodeKiwoomReal(batch, { day: before, context });
      out.kiwoomMessage = enc.message;
      after = enc.day;
    }
    if (after) this.days.set(batch.symbol, after);
    return out;
  }

  /** The day before the batch's first trade: the codec's estimate, with open/high/low from the bars so far. */
  private seed(batch: TickBatch, context: Partial<SymbolDayContext>): SymbolDay {
    const first = {
      price: batch.price[0],
      volume: batch.volume[0],
      cumVolume: batch.cumVolume[0],
      hms: kstHms(batch.ts[0]),
    };
    const day = startSymbolDay(context, first);
    const bars = this.market.barsBefore(batch.symbol, minuteOf(batch.ts[0]));
    if (bars.length === 0 || day.cumVolume === 0) return day;
    let high = bars[0];
    let low = bars[0];
    let value = 0;
    for (const b of bars) {
      if (b.high > high.high) high = b;
      if (b.low < low.low) low = b;
      value += b.close * b.volume;
    }
    return {
      ...day,
      open: bars[0].open,
      openHms: kstHms(bars[0].minute),
      high: high.high,
      highHms: kstHms(high.minute),
      low: low.low,
      lowHms: kstHms(low.minute),
      cumValue: value,
      lastPrice: bars[bars.length - 1].close,
    };
  }

  private context(symbol: string): Partial<SymbolDayContext> {
    const info = this.market.info(symbol);
    return info ? { prevClose: info.prevClose, prevDayVolume: Math.max(1, info.prevVolume) } : {};
  }
}
