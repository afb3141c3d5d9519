// Per-app-key REST rate limits of both brokers, on the simulator's own limiter (requests counted at
// arrival in a sliding 1000 ms window), and the per-key statistics the admin API reports.
import type { BrokerName } from '../../machines/types.ts';
import { AppKeyLimiter, type Admission } from '../../sim/broker/appKeyLimiter.ts';
import type { AppKeyStats } from '../../sim/broker/types.ts';

export class RateLimits {
  private readonly rates: Record<BrokerName, number>;
  private readonly limiters = new Map<string, { appKey: string; limiter: AppKeyLimiter }>();
  private latest = -Infinity;

  constructor(rates: Record<BrokerName, number>) {
    this.rates = rates;
  }

  /** One request of `appKey` arriving now (KIS: quotations; Kiwoom: ka10080, the only limited api-id). */
  admit(broker: BrokerName, appKey: string, now: number): Admission {
    // The limiter's windows need arrivals in time order, even if the wall clock steps back.
    this.latest = Math.max(this.latest, now);
    const id = `${broker}\0${appKey}`;
    let entry = this.limiters.get(id);
    if (!entry) {
      entry = { appKey, limiter: new AppKeyLimiter(this.rates[broker]) };
      this.limiters.set(id, entry);
    }
    return entry.limiter.admit(this.latest);
  }

  /** By app key; a key used with both brokers gets their counts summed and the larger peak. */
  stats(): Record<string, AppKeyStats> {
    const out: Record<string, AppKeyStats> = {};
    for (const { appKey, limiter } of this.limiters.values()) {
      const s = limiter.stats();
      const prev = out[appKey];
      out[appKey] = prev
        ? {
            requests: prev.requests + s.requests,
            rejections: prev.rejections + s.rejections,
            maxRequestsInAnySecond: Math.max(prev.maxRequestsInAnySecond, s.maxRequestsInAnySecond),
          }
        : s;
    }
    return out;
  }
}
