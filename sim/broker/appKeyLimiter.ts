// The broker's own rate limit for one app key, as the real broker enforces it: requests counted at
// arrival in a sliding 1000 ms window, excess rejected (KIS HTTP 500 EGW00201 or HTTP 429), and
// optional sanctions that block the key for a while after repeated rejections.
import { TgError } from '../../machines/errors.ts';
import type { BrokerName } from '../../machines/types.ts';
import { SlidingWindow } from './slidingWindow.ts';
import type { AppKeyStats, RejectStyle, Sanctions } from './types.ts';

export type Admission = { outcome: 'ok' } | { outcome: 'rejected' | 'banned'; retryAfterMs: number };

export class AppKeyLimiter {
  private readonly limit: number;
  private readonly sanctions: Sanctions | undefined;
  private readonly accepted = new SlidingWindow(1000);
  private readonly arrivals = new SlidingWindow(1000);
  private readonly counters: AppKeyStats = { requests: 0, rejections: 0, maxRequestsInAnySecond: 0 };
  private strikes = 0;
  private bannedUntil = -Infinity;

  constructor(ratePerSec: number, sanctions?: Sanctions) {
    this.limit = ratePerSec;
    this.sanctions = sanctions;
  }

  /** Decide one request arriving at `at` (times must not go backwards). */
  admit(at: number): Admission {
    this.counters.requests += 1;
    this.counters.maxRequestsInAnySecond = Math.max(
      this.counters.maxRequestsInAnySecond,
      this.arrivals.add(at),
    );
    if (at < this.bannedUntil) {
      this.counters.rejections += 1;
      return { outcome: 'banned', retryAfterMs: this.bannedUntil - at };
    }
    if (this.accepted.count(at) >= this.limit) {
      this.counters.rejections += 1;
      if (this.sanctions && ++this.strikes >= this.sanctions.banAfterRejections) {
        this.strikes = 0;
        this.bannedUntil = at + this.sanctions.banForMs;
      }
      return { outcome: 'rejected', retryAfterMs: 1000 };
    }
    this.accepted.add(at);
    return { outcome: 'ok' };
  }

  stats(): AppKeyStats {
    return { ...this.counters };
  }
}

/** The coded error a client sees for a rejection (never carries the app key: it is a credential). */
export function rejectionError(
  broker: BrokerName,
  style: RejectStyle,
  retryAfterMs: number,
  banned: boolean,
): TgError {
  const what = banned ? 'app key temporarily blocked' : 'rate limit exceeded';
  if (style === 'kis') {
    return new TgError('TG_ERR_BROKER_REJECTED', `${broker}: EGW00201 ${what} (HTTP 500)`, {
      status: 500,
      msgCd: 'EGW00201',
      retryAfterMs,
      broker,
    });
  }
  return new TgError('TG_ERR_BROKER_REJECTED', `${broker}: ${what} (HTTP 429)`, {
    status: 429,
    retryAfterMs,
    broker,
  });
}
