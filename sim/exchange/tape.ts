// One symbol's tape inside the exchange model: its random-walk state, the trades generated but not
// yet handed out (columnar), and its ground-truth minute bars (columnar, materialised on request).
import { MINUTE_MS, kstDay, kstMidnight } from '../../machines/marketHours.ts';
import type { Bar, TickBatch } from '../../machines/types.ts';
import type { Rng } from '../kernel/rng.ts';
import type { SessionTimes } from './session.ts';
import { priceLimits, tickSize } from './tickSize.ts';
import type { SymbolInfo } from './universe.ts';

/** Daily volatility target of the random walk (fraction of the price). */
const DAILY_VOLATILITY = 0.02;
const MINUTE = MINUTE_MS;

export class SymbolTape {
  readonly info: SymbolInfo;
  readonly rng: Rng;
  readonly ratePerMs: number;
  readonly moveProb: number;
  readonly lower: number;
  readonly upper: number;
  day: string;
  dayEndMs: number;
  /** Around the clock only: pending trades before this index belong to `prevDay`. */
  dayStart = 0;
  prevDay = '';
  next: number;
  ask: number;
  cumVolume = 0;
  ticks = 0;
  auctionDone = false;
  // Not yet handed out by advance(): columnar, in time order.
  pTs: number[] = [];
  pCum: number[] = [];
  pPrice: number[] = [];
  pVol: number[] = [];
  // Ground truth minute bars, columnar (a bar exists only for minutes with trades).
  bMinute: number[] = [];
  bOpen: number[] = [];
  bHigh: number[] = [];
  bLow: number[] = [];
  bClose: number[] = [];
  bVol: number[] = [];

  constructor(info: SymbolInfo, rng: Rng, session: SessionTimes, activity: number) {
    this.info = info;
    this.rng = rng;
    const continuousMs = session.always ? 380 * MINUTE_MS : session.continuousEndMs - session.openMs;
    this.ratePerMs = (info.tradesPerDay * activity) / continuousMs;
    const ticksPerVol = (DAILY_VOLATILITY * info.prevClose) / tickSize(info.prevClose);
    this.moveProb = Math.min(
      0.5,
      Math.max(0.001, (ticksPerVol * ticksPerVol) / Math.max(1, info.tradesPerDay)),
    );
    ({ lower: this.lower, upper: this.upper } = priceLimits(info.prevClose));
    this.ask = info.prevClose;
    this.day = kstDay(session.openMs);
    this.dayEndMs = session.always ? kstMidnight(session.openMs) + 86_400_000 : Infinity;
    this.next = this.ratePerMs > 0 ? session.openMs + rng.exponential(1 / this.ratePerMs) : Infinity;
  }

  /** Record a trade, resetting the cumulative volume when a new KST day starts (around-the-clock mode). */
  record(ts: number, price: number, qty: number): void {
    if (ts >= this.dayEndMs) {
      this.prevDay = this.day;
      this.dayStart = this.pTs.length;
      this.cumVolume = 0;
      this.day = kstDay(ts);
      this.dayEndMs = kstMidnight(ts) + 86_400_000;
    }
    this.recordSameDay(ts, price, qty);
  }

  recordSameDay(ts: number, price: number, qty: number): void {
    this.cumVolume += qty;
    this.ticks += 1;
    this.pTs.push(ts);
    this.pCum.push(this.cumVolume);
    this.pPrice.push(price);
    this.pVol.push(qty);
    const minute = ts - (ts % MINUTE);
    const last = this.bMinute.length - 1;
    if (last >= 0 && this.bMinute[last] === minute) {
      if (price > this.bHigh[last]) this.bHigh[last] = price;
      if (price < this.bLow[last]) this.bLow[last] = price;
      this.bClose[last] = price;
      this.bVol[last] += qty;
    } else {
      this.bMinute.push(minute);
      this.bOpen.push(price);
      this.bHigh.push(price);
      this.bLow.push(price);
      this.bClose.push(price);
      this.bVol.push(qty);
    }
  }

  /** Hand out the pending trades before `toMs`: one batch, or two when a KST midnight falls inside. */
  take(toMs: number, out: TickBatch[]): void {
    const n = this.pTs.length;
    if (n === 0 || this.pTs[0] >= toMs) return;
    let k = n;
    if (this.pTs[n - 1] >= toMs) {
      k = 0;
      while (this.pTs[k] < toMs) k++;
    }
    if (this.dayStart > 0) {
      const split = Math.min(this.dayStart, k);
      out.push(this.cut(split, this.prevDay));
      this.dayStart -= split;
      k -= split;
      if (k === 0) return;
    }
    out.push(this.cut(k, this.day));
  }

  /** The first `k` pending trades as a batch (handing over the arrays themselves when it is all of them). */
  private cut(k: number, day: string): TickBatch {
    const symbol = this.info.code;
    if (k === this.pTs.length) {
      const batch = {
        symbol,
        day,
        ts: this.pTs,
        cumVolume: this.pCum,
        price: this.pPrice,
        volume: this.pVol,
      };
      this.pTs = [];
      this.pCum = [];
      this.pPrice = [];
      this.pVol = [];
      return batch;
    }
    return {
      symbol,
      day,
      ts: this.pTs.splice(0, k),
      cumVolume: this.pCum.splice(0, k),
      price: this.pPrice.splice(0, k),
      volume: this.pVol.splice(0, k),
    };
  }

  bar(i: number): Bar {
    return {
      symbol: this.info.code,
      minute: this.bMinute[i],
      open: this.bOpen[i],
      high: this.bHigh[i],
      low: this.bLow[i],
      close: this.bClose[i],
      volume: this.bVol[i],
    };
  }

  /** Index of the first bar whose minute is >= `minute` (binary search). */
  firstBarAtOrAfter(minute: number): number {
    let lo = 0;
    let hi = this.bMinute.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bMinute[mid] < minute) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
