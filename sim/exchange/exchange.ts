// The exchange model: lazily generates every trade of a symbol universe over a KRX session (Poisson
// arrivals on a U-shaped profile, a random walk on the tick grid with a bid/ask bounce) and keeps
// the ground truth: minute bars and tick totals per symbol. Deterministic from the seed and
// independent of how the caller slices time: each symbol draws from its own PRNG stream.
import { MINUTE_MS, type SessionHours } from '../../machines/marketHours.ts';
import { TgError } from '../../machines/errors.ts';
import type { Bar, TickBatch } from '../../machines/types.ts';
import type { Rng } from '../kernel/rng.ts';
import { activityProfile, sessionTimes, type ClosingAuction, type SessionTimes } from './session.ts';
import { SymbolTape } from './tape.ts';
import { tickDown, tickUp } from './tickSize.ts';
import type { SymbolInfo } from './universe.ts';

export interface ExchangeOptions {
  /** The exchange's stream (e.g. `createRng(seed).fork('exchange')`); each symbol forks its own. */
  rng: Rng;
  /** Trading day 'YYYY-MM-DD' or 'YYYYMMDD' (KST). */
  day: string;
  /** From buildUniverse(); generation order and batch order follow this list. */
  symbols: SymbolInfo[];
  hours?: SessionHours;
  closingAuction?: ClosingAuction;
  /** Multiplier on every symbol's arrival rate (1 = the calibrated full-market day). */
  activity?: number;
}

/** Probability that a trade is a block (20x the usual size). */
const BLOCK_PROBABILITY = 0.01;
/** The closing auction's share of a day's volume. */
const AUCTION_SHARE = 0.02;
// Local copies: imported bindings cost a property read per use in the hot loop under some loaders.
const MINUTE = MINUTE_MS;
const stepUp = tickUp;
const stepDown = tickDown;

export class ExchangeModel {
  readonly session: SessionTimes;
  private readonly tapes: SymbolTape[];
  private readonly bySymbol = new Map<string, SymbolTape>();
  private readonly profile: Float64Array;
  /** Everything before this instant has been generated. */
  private generatedTo: number;
  /** Everything before this instant has been handed out by advance(). */
  private deliveredTo: number;

  constructor(options: ExchangeOptions) {
    this.session = sessionTimes(options.day, options.hours, options.closingAuction);
    this.profile = activityProfile(this.session);
    this.tapes = options.symbols.map(
      (info) =>
        new SymbolTape(info, options.rng.fork(`tape:${info.code}`), this.session, options.activity ?? 1),
    );
    for (const tape of this.tapes) this.bySymbol.set(tape.info.code, tape);
    this.generatedTo = this.session.openMs;
    this.deliveredTo = this.session.openMs;
  }

  /** The universe, busiest first. */
  symbols(): SymbolInfo[] {
    return this.tapes.map((t) => t.info);
  }

  info(symbol: string): SymbolInfo | undefined {
    return this.bySymbol.get(symbol)?.info;
  }

  /** Everything before this instant has been handed out by advance(). */
  cursor(): number {
    return this.deliveredTo;
  }

  /**
   * The trades in [previous cursor, toMs), one TickBatch per symbol that traded, in universe order.
   * Call it every simulation step; a call with toMs at or before the cursor returns nothing.
   */
  advance(toMs: number): TickBatch[] {
    if (toMs <= this.deliveredTo) return [];
    this.generate(toMs);
    const batches: TickBatch[] = [];
    for (const tape of this.tapes) tape.take(toMs, batches);
    this.deliveredTo = toMs;
    return batches;
  }

  /**
   * Generate (without handing out) every trade before `t`, so truth queries at `t` are current.
   * The broker model calls this before answering a REST request.
   */
  generate(t: number): void {
    if (t <= this.generatedTo) return;
    const s = this.session;
    for (const tape of this.tapes) {
      if (tape.next < t) this.runTape(tape, t);
      if (!tape.auctionDone && s.auction === 'single-print' && !s.always && s.closeMs < t) {
        this.auctionPrint(tape);
      }
    }
    this.generatedTo = t;
  }

  private runTape(tape: SymbolTape, t: number): void {
    // Hot loop (about ten million iterations for a full-market day): locals only, no per-tick objects.
    const openMs = this.session.openMs;
    const continuousEndMs = this.session.continuousEndMs;
    const profile = this.profile;
    const lastMinute = profile.length - 1;
    const rng = tape.rng;
    const meanInterval = 1 / tape.ratePerMs;
    const halfMove = tape.moveProb / 2;
    const moveProb = tape.moveProb;
    const qtyMean = tape.info.meanQty - 1;
    const lower = tape.lower;
    const upper = tape.upper;
    const sameDay = tape.dayEndMs === Infinity;
    let next = tape.next;
    let ask = tape.ask;
    let bid = stepDown(ask);
    while (next < t) {
      const ts = Math.floor(next);
      const move = rng.next();
      if (move < moveProb) {
        ask = move < halfMove ? Math.min(upper, stepUp(ask)) : Math.max(lower, stepDown(ask));
        bid = ask <= lower ? ask : stepDown(ask);
      }
      const price = rng.next() < 0.5 ? ask : bid;
      let qty = 1 + Math.floor(rng.exponential(qtyMean));
      if (rng.next() < BLOCK_PROBABILITY) qty *= 20;
      if (sameDay) tape.recordSameDay(ts, price, qty);
      else tape.record(ts, price, qty);
      const minuteIndex = Math.floor((next - openMs) / MINUTE);
      next += rng.exponential(meanInterval / profile[minuteIndex < lastMinute ? minuteIndex : lastMinute]);
      if (next >= continuousEndMs) next = Infinity;
    }
    tape.next = next;
    tape.ask = ask;
  }

  private auctionPrint(tape: SymbolTape): void {
    const rng = tape.rng;
    const price = rng.next() < 0.5 ? tape.ask : Math.max(tape.lower, tickDown(tape.ask));
    const qty = Math.max(
      1,
      Math.round(tape.info.tradesPerDay * tape.info.meanQty * AUCTION_SHARE * (0.5 + rng.next())),
    );
    tape.record(this.session.closeMs, price, qty);
    tape.auctionDone = true;
  }

  private tape(symbol: string): SymbolTape {
    const tape = this.bySymbol.get(symbol);
    if (!tape) throw new TgError('TG_ERR_INTERNAL', `symbol ${symbol} is not in the simulated universe`);
    return tape;
  }

  /** Every completed minute bar so far (completed = its minute ended before the cursor). */
  truthBars(symbol: string): Bar[] {
    return this.barsUpTo(symbol, this.deliveredTo);
  }

  /** Bars whose minute completed at or before `t` (minute + 60 s <= t), oldest first. */
  barsUpTo(symbol: string, t: number): Bar[] {
    this.generate(t);
    const tape = this.tape(symbol);
    const end = tape.firstBarAtOrAfter(t - MINUTE_MS + 1);
    const bars: Bar[] = new Array(end);
    for (let i = 0; i < end; i++) bars[i] = tape.bar(i);
    return bars;
  }

  /**
   * What a broker knows at `t`: completed bars plus the partial bar of the minute containing `t`
   * (trades before `t`). Exact while `t` is not behind the cursor of advance(); if the caller has
   * advanced past `t`, the partial bar already holds those later trades of its minute.
   */
  barsAsOf(symbol: string, t: number): Bar[] {
    this.generate(t);
    const tape = this.tape(symbol);
    const end = tape.firstBarAtOrAfter(t - (t % MINUTE_MS) + MINUTE_MS);
    const bars: Bar[] = new Array(end);
    for (let i = 0; i < end; i++) bars[i] = tape.bar(i);
    return bars;
  }

  /**
   * A broker's page at `asOf`: up to `limit` bars (completed ones plus the partial bar of the minute
   * containing `asOf`) whose minute is at or before the minute of `atOrBefore`, newest first.
   * `exhausted` is true when nothing older exists (the page reaches the session's first bar).
   */
  page(symbol: string, asOf: number, atOrBefore: number, limit: number): { bars: Bar[]; exhausted: boolean } {
    this.generate(asOf);
    const tape = this.tape(symbol);
    const newestMinute = Math.min(asOf - (asOf % MINUTE), atOrBefore - (atOrBefore % MINUTE));
    const end = tape.firstBarAtOrAfter(newestMinute + MINUTE);
    const start = Math.max(0, end - limit);
    const bars: Bar[] = [];
    for (let i = end - 1; i >= start; i--) bars.push(tape.bar(i));
    return { bars, exhausted: start === 0 };
  }

  /** Trades generated so far for the symbol (handed out or not). */
  totalTicks(symbol: string): number {
    return this.tape(symbol).ticks;
  }

  /** Cumulative volume of the last generated trade. */
  cumVolume(symbol: string): number {
    return this.tape(symbol).cumVolume;
  }

  /** Sum over the universe: trades and shares generated so far. */
  totals(): { ticks: number; volume: number } {
    let ticks = 0;
    let volume = 0;
    for (const tape of this.tapes) {
      ticks += tape.ticks;
      volume += tape.cumVolume;
    }
    return { ticks, volume };
  }
}
