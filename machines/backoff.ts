// Retry and restart pacing, pure: exponential back-off with jitter from an injected seeded random, and
// the restart-intensity rule (at most R restarts in any window of T ms, OTP-style) that escalates to failed.
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

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Relative spread: 0.2 means the delay lands anywhere in [0.8, 1.2] x the nominal value. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 10_000, jitter: 0.2 };

/**
 * Delay before retry or restart number `attempt` (0-based): base * 2^attempt capped at max, then
 * spread by +-jitter with `r` in [0, 1) from a seeded random source. At least 1 ms. The one
 * back-off rule of every machine (restarts, reconnects, replays, writer retries).
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, r: number): number {
  const nominal = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  const spread = 1 + policy.jitter * (2 * r - 1);
  return Math.max(1, Math.round(nominal * spread));
}

/** The restart policy's back-off part. */
export function restartBackoff(policy: RestartPolicy): BackoffPolicy {
  return { baseMs: policy.backoffBaseMs, maxMs: policy.backoffMaxMs, jitter: policy.jitter };
}

/** Keep only what the window can still need, so histories stay short. */
export function pruneHistory(history: readonly number[], now: number, windowMs: number): number[] {
  return restartsInWindow(history, now, windowMs);
}
