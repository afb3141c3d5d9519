// The emulator's market: the simulator's exchange model run on wall time, one ExchangeModel per KST
// trading day, rolled over at KST midnight. Market time IS clock time (no offset), so tick stamps,
// REST minute bars and the admin truth all agree with what the live pipeline's clocks say.
//
// Mapping:
// - `krx`: weekdays trade on the KRX session (continuous 09:00-15:20 KST, closing auction print at
//   15:30); weekends have no session (holidays are not modelled). Started mid-session, the morning's
//   trades are generated at start (REST serves them) but never pushed.
// - `always`: every KST day trades continuously from 00:00 to 24:00 (weekends too). The first day
//   starts `historyMinutes` before the emulator started (not before KST midnight), so REST has bars
//   to page through at once. Trade rates stay those of a 380-minute KRX session (the exchange's
//   `activity` is scaled by the window length); the exchange's U-shaped profile spans each window.
import {
  KRX_HOURS,
  KST_OFFSET_MS,
  MINUTE_MS,
  kstDay,
  kstMidnight,
  kstTime,
} from '../../machines/marketHours.ts';
import type { Bar, TickBatch } from '../../machines/types.ts';
import { ExchangeModel } from '../../sim/exchange/exchange.ts';
import type { SymbolInfo } from '../../sim/exchange/universe.ts';
import type { Rng } from '../../sim/kernel/rng.ts';
import type { MarketOpen } from './options.ts';

const DAY_MS = 86_400_000;
const KRX_CONTINUOUS_MINUTES = 380;
/** Startup generation is handed out in slices so the discarded trades never pile up in memory. */
const DISCARD_SLICE_MS = 5 * MINUTE_MS;

export interface MarketSetup {
  universe: SymbolInfo[];
  /** The exchange's stream; each day forks its own. */
  rng: Rng;
  mode: MarketOpen;
  historyMinutes: number;
  activity: number;
}

interface TradingDay {
  /** 'YYYYMMDD' KST. */
  day: string;
  startMs: number;
  endMs: number;
  /** Absent on a day without a session (krx weekends). */
  exchange?: ExchangeModel;
}

export class Market {
  private readonly setup: MarketSetup;
  private readonly byCode: Map<string, SymbolInfo>;
  private today: TradingDay;
  /** Trades of a finished day not yet handed out by advance(). */
  private carry: TickBatch[] = [];
  private latest = -Infinity;

  constructor(setup: MarketSetup, startAt: number) {
    this.setup = setup;
    this.byCode = new Map(setup.universe.map((s) => [s.code, s]));
    this.latest = startAt;
    this.today = this.openDay(startAt, true);
  }

  /** Busiest first. */
  symbols(): SymbolInfo[] {
    return this.setup.universe;
  }

  info(symbol: string): SymbolInfo | undefined {
    return this.byCode.get(symbol);
  }

  /** Clock readings made monotonic (the exchange and the limiters need time that never goes back). */
  at(now: number): number {
    if (now > this.latest) this.latest = now;
    return this.latest;
  }

  /** The trading day at `now` (rolling over first if midnight passed). */
  day(now: number): { day: string; open: boolean; openMs?: number } {
    const today = this.sync(now);
    return { day: today.day, open: today.exchange !== undefined, openMs: today.exchange?.session.openMs };
  }

  /** Epoch ms of 'HHMMSS' on the current trading day. */
  timeToday(now: number, hms: string): number {
    return kstTime(this.sync(now).day, `${hms.slice(0, 2)}:${hms.slice(2, 4)}:${hms.slice(4, 6)}`);
  }

  /** Every trade in [previous call, now), one batch per symbol and day, in order. */
  advance(now: number): TickBatch[] {
    const t = this.at(now);
    const today = this.sync(t);
    const out = this.carry;
    this.carry = [];
    if (today.exchange) for (const b of today.exchange.advance(t)) out.push(b);
    return out;
  }

  /** Up to `limit` bars at or before the minute of `atOrBefore`, newest first, as a broker knows them at `now`. */
  page(symbol: string, now: number, atOrBefore: number, limit: number): { bars: Bar[]; exhausted: boolean } {
    const t = this.at(now);
    const ex = this.sync(t).exchange;
    if (!ex || atOrBefore < ex.session.openMs) return { bars: [], exhausted: true };
    return ex.page(symbol, t, atOrBefore, limit);
  }

  /** Completed bars of today (minute + 60 s <= now), oldest first. */
  completedBars(symbol: string, now: number): Bar[] {
    const t = this.at(now);
    return this.sync(t).exchange?.barsUpTo(symbol, t) ?? [];
  }

  /** Bars of today's minutes before `minute` (no clamping: for seeding state of the past). */
  barsBefore(symbol: string, minute: number): Bar[] {
    return this.today.exchange?.barsUpTo(symbol, minute) ?? [];
  }

  /** Completed bars plus the partial bar of the current minute, oldest first. */
  barsAsOf(symbol: string, now: number): Bar[] {
    const t = this.at(now);
    return this.sync(t).exchange?.barsAsOf(symbol, t) ?? [];
  }

  /** The day's cumulative volume of the symbol at `now`. */
  cumVolume(symbol: string, now: number): number {
    const t = this.at(now);
    const ex = this.sync(t).exchange;
    if (!ex) return 0;
    ex.generate(t);
    return ex.cumVolume(symbol);
  }

  private sync(now: number): TradingDay {
    while (now >= this.today.endMs) {
      const ended = this.today;
      if (ended.exchange) for (const b of ended.exchange.advance(ended.endMs)) this.carry.push(b);
      this.today = this.openDay(ended.endMs, false);
    }
    return this.today;
  }

  private openDay(t: number, first: boolean): TradingDay {
    const startMs = kstMidnight(t);
    const day = kstDay(t);
    const tradingDay: TradingDay = { day, startMs, endMs: startMs + DAY_MS };
    const rng = this.setup.rng.fork(day);
    if (this.setup.mode === 'krx') {
      const weekday = new Date(startMs + KST_OFFSET_MS).getUTCDay();
      if (weekday === 0 || weekday === 6) return tradingDay;
      tradingDay.exchange = new ExchangeModel({
        rng,
        day,
        symbols: this.setup.universe,
        hours: KRX_HOURS,
        activity: this.setup.activity,
      });
    } else {
      const from = first ? Math.max(startMs, t - this.setup.historyMinutes * MINUTE_MS) : startMs;
      const openMin = Math.min(1439, Math.floor((from - startMs) / MINUTE_MS));
      const windowMinutes = 1440 - openMin;
      tradingDay.exchange = new ExchangeModel({
        rng,
        day,
        symbols: this.setup.universe,
        hours: { openMin, continuousEndMin: 1440, closeMin: 1440 },
        closingAuction: 'continuous',
        activity: (this.setup.activity * windowMinutes) / KRX_CONTINUOUS_MINUTES,
      });
    }
    // Trades before the emulator started exist (REST and the truth serve them) but are never pushed.
    if (first) {
      const ex = tradingDay.exchange;
      for (let s = ex.session.openMs; s < t; s += DISCARD_SLICE_MS)
        ex.advance(Math.min(t, s + DISCARD_SLICE_MS));
    }
    return tradingDay;
  }
}

/** 'YYYY-MM-DDTHH:MM:SS+09:00' for an epoch ms (the admin API's minute format). */
export function kstIso(t: number): string {
  return new Date(t + KST_OFFSET_MS).toISOString().slice(0, 19) + '+09:00';
}
