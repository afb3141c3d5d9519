// Timing rules of the collector: whether silence on a live feed counts as a stall under the KRX
// session calendar. Pure. (Back-off: machines/backoff.ts.)
import { KRX_HOURS, MINUTE_MS, isContinuousTrading, kstMidnight, type SessionHours } from './marketHours.ts';

/**
 * Whether trades print at `t`: continuous trading only. The closing call auction (15:20-15:30)
 * prints nothing until 15:30, so ten silent minutes there are not a stall.
 */
export function expectsTicks(t: number, hours: SessionHours = KRX_HOURS): boolean {
  return isContinuousTrading(t, hours);
}

/** Start of the continuous session of `t`'s day (KST); -Infinity when trading runs around the clock. */
export function sessionOpenedAt(t: number, hours: SessionHours = KRX_HOURS): number {
  return hours.always ? -Infinity : kstMidnight(t) + hours.openMin * MINUTE_MS;
}

/**
 * How long the feed has been silent at `now`, counted from the latest of: the last tick received,
 * the moment the subscriptions went live, and the session open (pre-open quiet is not silence).
 */
export function silenceMs(
  now: number,
  lastReceivedAt: number | undefined,
  liveSince: number,
  hours: SessionHours = KRX_HOURS,
): number {
  return now - Math.max(lastReceivedAt ?? -Infinity, liveSince, sessionOpenedAt(now, hours));
}
