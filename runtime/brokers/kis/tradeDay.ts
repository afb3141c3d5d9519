// Running per-symbol session statistics (day open/high/low and their times, traded value, buy/sell
// split by the tick rule) that the KIS and Kiwoom encoders use to fill the fields a real tick carries
// beyond TickBatch. Pure values: every step returns a new SymbolDay; deterministic, no randomness.
import { krxTickSize } from '../../../machines/krxTickSize.ts';
import type { TickBatch } from '../../../machines/types.ts';
import { kstHms } from './wire.ts';

/** What the exchange knew about the symbol before today. */
export interface SymbolDayContext {
  prevClose: number;
  prevDayVolume: number;
  listedShares: number;
}

export type TradeSide = 'buy' | 'sell';

export interface SymbolDay {
  context: SymbolDayContext;
  /** 0 until the first trade. */
  open: number;
  high: number;
  low: number;
  /** 'HHMMSS' of the day's open, high and low. */
  openHms: string;
  highHms: string;
  lowHms: string;
  /** Cumulative traded value (won). */
  cumValue: number;
  cumVolume: number;
  lastPrice: number;
  lastSide: TradeSide;
  buyVolume: number;
  sellVolume: number;
  buyCount: number;
  sellCount: number;
}

export interface Trade {
  price: number;
  volume: number;
  cumVolume: number;
  hms: string;
}

/** Day state before the first trade the encoder sees; volume already traded is split evenly. */
export function startSymbolDay(context: Partial<SymbolDayContext>, first: Trade): SymbolDay {
  const prevClose = context.prevClose ?? first.price;
  const before = Math.max(0, first.cumVolume - first.volume);
  const buyVolume = Math.floor(before / 2);
  const traded = before > 0;
  return {
    context: {
      prevClose,
      prevDayVolume: context.prevDayVolume ?? Math.max(1, first.cumVolume * 2),
      listedShares: context.listedShares ?? 100_000_000,
    },
    open: traded ? first.price : 0,
    high: traded ? first.price : 0,
    low: traded ? first.price : 0,
    openHms: traded ? '090000' : first.hms,
    highHms: traded ? '090000' : first.hms,
    lowHms: traded ? '090000' : first.hms,
    cumValue: before * first.price,
    cumVolume: before,
    lastPrice: traded ? first.price : prevClose,
    lastSide: 'buy',
    buyVolume,
    sellVolume: before - buyVolume,
    buyCount: Math.ceil(buyVolume / 50),
    sellCount: Math.ceil((before - buyVolume) / 50),
  };
}

/** Tick rule: an uptick is buyer-initiated, a downtick seller-initiated, an unchanged price keeps the side. */
export function applyTrade(day: SymbolDay, t: Trade): SymbolDay {
  const side: TradeSide = t.price > day.lastPrice ? 'buy' : t.price < day.lastPrice ? 'sell' : day.lastSide;
  const first = day.open === 0;
  const higher = first || t.price > day.high;
  const lower = first || t.price < day.low;
  return {
    ...day,
    open: first ? t.price : day.open,
    openHms: first ? t.hms : day.openHms,
    high: higher ? t.price : day.high,
    highHms: higher ? t.hms : day.highHms,
    low: lower ? t.price : day.low,
    lowHms: lower ? t.hms : day.lowHms,
    cumValue: day.cumValue + t.price * t.volume,
    cumVolume: t.cumVolume,
    lastPrice: t.price,
    lastSide: side,
    buyVolume: day.buyVolume + (side === 'buy' ? t.volume : 0),
    sellVolume: day.sellVolume + (side === 'sell' ? t.volume : 0),
    buyCount: day.buyCount + (side === 'buy' ? 1 : 0),
    sellCount: day.sellCount + (side === 'sell' ? 1 : 0),
  };
}

/**
 * Walks the ticks of `batch` through the day state, starting from `start.day` (or from a day begun at
 * the first tick), and hands `each` every trade with the state after it. Returns the final state.
 */
export function replayBatch(
  batch: TickBatch,
  start: { day?: SymbolDay; context?: Partial<SymbolDayContext> },
  each: (t: Trade, day: SymbolDay) => void,
): SymbolDay {
  const trade = (i: number): Trade => ({
    price: batch.price[i],
    volume: batch.volume[i],
    cumVolume: batch.cumVolume[i],
    hms: kstHms(batch.ts[i]),
  });
  let day = start.day ?? startSymbolDay(start.context ?? {}, trade(0));
  for (let i = 0; i < batch.ts.length; i++) {
    const t = trade(i);
    day = applyTrade(day, t);
    each(t, day);
  }
  return day;
}

/**
 * KIS PRDY_VRSS_SIGN / Kiwoom `25`: 1 upper limit, 2 up, 3 flat, 4 lower limit, 5 down. Limits are
 * +-30% of the previous close (the tick-size rounding of the real limit is not modelled).
 */
export function changeSign(price: number, reference: number): '1' | '2' | '3' | '4' | '5' {
  if (price === reference) return '3';
  if (price >= Math.floor(reference * 1.3)) return '1';
  if (price <= Math.ceil(reference * 0.7)) return '4';
  return price > reference ? '2' : '5';
}

/** Best ask/bid around a trade: a buy lifts the ask, a sell hits the bid. */
export function bestQuotes(price: number, side: TradeSide): { ask: number; bid: number } {
  const tick = krxTickSize(price);
  return side === 'buy' ? { ask: price, bid: Math.max(1, price - tick) } : { ask: price + tick, bid: price };
}

/** Deterministic, plausible resting quantity derived from the trade (no randomness in codecs). */
export function restingQuantity(cumVolume: number, salt: number): number {
  return 100 + ((cumVolume * 31 + salt * 7919) % 99_991);
}
