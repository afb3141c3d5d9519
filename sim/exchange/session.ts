// The trading session of one simulated day: where continuous trading starts and ends, the closing
// auction, and the intraday activity profile (busy open, quieter midday, busier close).
import { KRX_HOURS, MINUTE_MS, kstTime, type SessionHours } from '../../machines/marketHours.ts';

/**
 * `single-print` (default, like KRX): continuous trading 09:00-15:20, no trades during the closing
 * call auction 15:20-15:30, then one auction print per symbol at exactly 15:30:00.000 (it lands in
 * the 15:30 minute bar). `continuous`: trades run until 15:30 with no auction print.
 */
export type ClosingAuction = 'single-print' | 'continuous';

export interface SessionTimes {
  day: string;
  /** First moment of continuous trading. */
  openMs: number;
  /** End (exclusive) of continuous trading. */
  continuousEndMs: number;
  /** Session close; the auction print (if any) is stamped exactly here. */
  closeMs: number;
  auction: ClosingAuction;
  /** Around the clock: no end, flat profile. */
  always: boolean;
}

export function sessionTimes(
  day: string,
  hours: SessionHours = KRX_HOURS,
  auction: ClosingAuction = 'single-print',
): SessionTimes {
  const midnight = kstTime(day, '00:00');
  if (hours.always) {
    return { day, openMs: midnight, continuousEndMs: Infinity, closeMs: Infinity, auction, always: true };
  }
  const openMs = midnight + hours.openMin * MINUTE_MS;
  const closeMs = midnight + hours.closeMin * MINUTE_MS;
  const continuousEndMs = auction === 'continuous' ? closeMs : midnight + hours.continuousEndMin * MINUTE_MS;
  return { day, openMs, continuousEndMs, closeMs, auction, always: false };
}

/**
 * Relative activity per minute of continuous trading, averaging 1 over the session, so a symbol's
 * day total is preserved. U-shaped: about 3x the mean at the open, 2x just before the close.
 */
export function activityProfile(session: SessionTimes): Float64Array {
  if (session.always) return new Float64Array([1]);
  const minutes = Math.max(1, Math.ceil((session.continuousEndMs - session.openMs) / MINUTE_MS));
  const profile = new Float64Array(minutes);
  let sum = 0;
  for (let i = 0; i < minutes; i++) {
    profile[i] = 1 + 2.5 * Math.exp(-i / 20) + 1.2 * Math.exp(-(minutes - 1 - i) / 25);
    sum += profile[i];
  }
  const mean = sum / minutes;
  for (let i = 0; i < minutes; i++) profile[i] /= mean;
  return profile;
}
