// AIMD rate control for one broker key: a broker rejection halves the rate (at most once per second,
// so a burst of rejected in-flight requests counts as one signal); every second in which requests were
// granted without a rejection adds back a fixed share of the limit. Pure.

export interface AimdConfig {
  /** Multiplier applied on a rejection (0.5 = halve). */
  decreaseFactor: number;
  /** Share of the limit added back per successful second (0.1 = 10 % of the limit). */
  increaseShare: number;
  /** Floor, as a share of the limit, so the client never stops probing the broker entirely. */
  minShare: number;
}

export const DEFAULT_AIMD: AimdConfig = { decreaseFactor: 0.5, increaseShare: 0.1, minShare: 0.1 };

export interface AimdState {
  /** Current allowed rate, requests per second, in [limit * minShare, limit]. */
  rate: number;
  /** Start of the current one-second success window; null until the first success after a decrease. */
  windowStart: number | null;
  /** Time of the last multiplicative decrease (-Infinity when none). */
  lastDecreaseAt: number;
}

export function aimdInit(limitRate: number): AimdState {
  return { rate: limitRate, windowStart: -Infinity, lastDecreaseAt: -Infinity };
}

/** A grant went out at `at` with no rejection in between: add back one step per successful second. */
export function aimdOnSuccess(
  s: AimdState,
  at: number,
  limitRate: number,
  cfg: AimdConfig = DEFAULT_AIMD,
): AimdState {
  if (s.rate >= limitRate) return s.rate === limitRate ? s : { ...s, rate: limitRate };
  if (s.windowStart === null) return { ...s, windowStart: at };
  if (at < s.windowStart + 1000) return s;
  const rate = Math.min(limitRate, s.rate + limitRate * cfg.increaseShare);
  return { ...s, rate, windowStart: at };
}

/** The broker rejected a request at `at`: shrink multiplicatively (once per second at most). */
export function aimdOnRejection(
  s: AimdState,
  at: number,
  limitRate: number,
  cfg: AimdConfig = DEFAULT_AIMD,
): AimdState {
  if (at < s.lastDecreaseAt + 1000) return s;
  const rate = Math.max(limitRate * cfg.minShare, s.rate * cfg.decreaseFactor);
  // The success window opens with the first grant after the pause: each step is earned by a full second.
  return { rate, windowStart: null, lastDecreaseAt: at };
}
