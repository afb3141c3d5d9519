// Redis-style stream entry ids ('<ms>-<seq>') that increase strictly even when the clock stands
// still or (in a broken harness) steps back, so entry order is total and deterministic.

export class StreamIds {
  private lastMs = -1;
  private seq = 0;

  next(nowMs: number): string {
    const ms = Math.floor(nowMs);
    if (ms > this.lastMs) {
      this.lastMs = ms;
      this.seq = 0;
    } else {
      this.seq += 1;
    }
    return `${this.lastMs}-${this.seq}`;
  }
}

/** Compare two stream entry ids numerically (string order is wrong once lengths differ). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}
