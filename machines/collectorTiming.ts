// Timing rules of the collector (and the writer's retries): exponential back-off with jitter, and
// whether silence on a live feed counts as a stall under the KRX session calendar. Pure.
import { KRX_HOURS, MINUTE_MS, isContinuousTrading, kstMidnight, type SessionHours } from './marketHours.ts';

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Relative spread: 0.2 means the delay lands anywhere in [0.8, 1.2] x the nominal value. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 10_000, jitter: 0.2 };

/** Delay before retry `attempt` (0-based): base * 2^attempt capped at max, spread by jitter with r in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, r: number): number {
  const nominal = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  const spread = 1 + policy.jitter * (2 * r - 1);
  return Math.max(1, Math.round(nominal * spread));
}

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
