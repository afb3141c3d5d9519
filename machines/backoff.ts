// Restart pacing, pure: exponential back-off with jitter from an injected seeded random(), and the
// restart-intensity rule (at most R restarts in any window of T ms, OTP-style) that escalates to failed.
import type { RestartPolicy } from './config.ts';

/** Restart times still inside the window ending at `now` (a restart exactly T ago has left it). */
export function restartsInWindow(history: readonly number[], now: number, windowMs: number): number[] {
  return history.filter((t) => t > now - windowMs && t <= now);
}

/**
 * True when one more restart at `now` would make R + 1 restarts inside some window of T: the
 * component must be marked failed instead. Checking this before every counted restart keeps every
 * window of length T at R restarts or fewer.
 */
export function intensityExceeded(history: readonly number[], now: number, policy: RestartPolicy): boolean {
  return restartsInWindow(history, now, policy.windowMs).length >= policy.maxRestarts;
}

/**
 * Delay before restart number `attempt` (0-based, counted inside the window): base * 2^attempt capped
 * at max, then spread by +-jitter with `random()` in [0, 1). Never below 0.
 */
export function backoffDelay(attempt: number, policy: RestartPolicy, random: () => number): number {
  const exp = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, Math.min(attempt, 52)));
  const spread = policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(exp * (1 + spread)));
}

/** Keep only what the window can still need, so histories stay short. */
export function pruneHistory(history: readonly number[], now: number, windowMs: number): number[] {
  return restartsInWindow(history, now, windowMs);
}
