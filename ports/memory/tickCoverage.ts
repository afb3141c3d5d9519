// The compact `ticks` table of one (symbol, day): a tick covers (cumVolume - volume, cumVolume] on
// the day's cumulative-volume axis, so stored ticks are a sorted list of disjoint covered intervals.

/** Outcome codes of `CoveredIntervals.add` (numbers, not objects: this runs ~10 million times a day). */
export const TICK_INSERTED = 1;
export const TICK_DUPLICATE = 0;
export const TICK_INVALID = -1;

export class CoveredIntervals {
  /** Interval i is (lo[i], hi[i]]; sorted, disjoint and never touching (touching ones are merged). */
  private readonly lo: number[] = [];
  private readonly hi: number[] = [];
  private tickCount = 0;

  /**
   * Insert one tick. A tick whose whole interval is already covered is a duplicate (the same trade
   * seen again, from a replay or a second feed). A tick without a positive volume has no interval
   * and cannot be told apart from its neighbours, so it is rejected as invalid.
   */
  add(cumVolume: number, volume: number): number {
    if (!(volume > 0) || !Number.isFinite(volume) || !Number.isFinite(cumVolume)) return TICK_INVALID;
    const lo = cumVolume - volume;
    const n = this.hi.length;
    // Fast path: live feeds arrive in order, so almost every tick lands after the last interval.
    if (n === 0 || lo > this.hi[n - 1]) {
      this.lo.push(lo);
      this.hi.push(cumVolume);
    } else if (lo === this.hi[n - 1]) {
      this.hi[n - 1] = cumVolume;
    } else if (!this.insertOutOfOrder(lo, cumVolume)) {
      return TICK_DUPLICATE;
    }
    this.tickCount += 1;
    return TICK_INSERTED;
  }

  /** Ticks stored (duplicates excluded). */
  count(): number {
    return this.tickCount;
  }

  /** Total cumulative volume covered by stored ticks. */
  coveredVolume(): number {
    let total = 0;
    for (let i = 0; i < this.lo.length; i++) total += this.hi[i] - this.lo[i];
    return total;
  }

  /** Covered intervals as [lo, hi] pairs, meaning (lo, hi], in order. */
  intervals(): [number, number][] {
    return this.lo.map((lo, i) => [lo, this.hi[i]]);
  }

  /** Whether (lo, hi] is entirely covered. */
  covers(lo: number, hi: number): boolean {
    const i = this.firstReaching(lo);
    return i < this.hi.length && this.lo[i] <= lo && this.hi[i] >= hi;
  }

  /** Returns false for a duplicate; otherwise merges (lo, hi] with every interval it touches. */
  private insertOutOfOrder(lo: number, hi: number): boolean {
    const i = this.firstReaching(lo);
    if (i < this.hi.length && this.lo[i] <= lo && this.hi[i] >= hi) return false;
    let newLo = lo;
    let newHi = hi;
    let j = i;
    while (j < this.hi.length && this.lo[j] <= hi) {
      if (this.lo[j] < newLo) newLo = this.lo[j];
      if (this.hi[j] > newHi) newHi = this.hi[j];
      j++;
    }
    this.lo.splice(i, j - i, newLo);
    this.hi.splice(i, j - i, newHi);
    return true;
  }

  /** First interval index whose upper end is >= lo (the first one (lo, ...] can touch). */
  private firstReaching(lo: number): number {
    let a = 0;
    let b = this.hi.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (this.hi[mid] < lo) a = mid + 1;
      else b = mid;
    }
    return a;
  }
}
