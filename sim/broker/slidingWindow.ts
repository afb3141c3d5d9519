// Exact sliding one-second window over request arrivals: how many arrived in (t - windowMs, t]. The
// broker model keeps one for accepted requests (the limit) and one for all arrivals (the
// `maxRequestsInAnySecond` statistic, whose maximum is always reached at some arrival).

export class SlidingWindow {
  private readonly windowMs: number;
  private readonly times: number[] = [];
  private head = 0;
  private peak = 0;

  constructor(windowMs = 1000) {
    this.windowMs = windowMs;
  }

  /** Arrivals in (now - windowMs, now]. Arrivals must be added in non-decreasing time order. */
  count(now: number): number {
    const floor = now - this.windowMs;
    while (this.head < this.times.length && this.times[this.head] <= floor) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  /** Record an arrival at `now`; returns the count in the window ending at `now`, this one included. */
  add(now: number): number {
    this.times.push(now);
    const n = this.count(now);
    if (n > this.peak) this.peak = n;
    return n;
  }

  /** The largest count ever seen in any window. */
  max(): number {
    return this.peak;
  }
}
