// GCRA (generic cell rate algorithm): the one rate-limit rule shared by the in-memory store, the
// local fallback bucket and (ported line by line) the Lua script on redis-gatekeeper.
// State is a single number, the theoretical arrival time (TAT) in ms.

export interface GcraLimit {
  ratePerSec: number;
  /** Requests allowed back to back; 1 means strictly spaced, so no 1 s window ever exceeds the rate. */
  burst: number;
}

export interface GcraDecision {
  granted: boolean;
  /** New TAT to store (unchanged when not granted). */
  tat: number;
  /** ms until the request would be granted (0 when granted). */
  waitMs: number;
  /** Whole requests still allowed right now after this one. */
  remaining: number;
}

/** Decide one request of `cost` at time `now` given the stored TAT (0 or absent = idle bucket). */
export function gcraDecide(tat: number, now: number, limit: GcraLimit, cost = 1): GcraDecision {
  const interval = 1000 / limit.ratePerSec;
  const tolerance = interval * (Math.max(1, limit.burst) - 1);
  const base = Math.max(tat, now);
  const newTat = base + interval * cost;
  const allowAt = newTat - interval - tolerance;
  if (allowAt > now) {
    return { granted: false, tat, waitMs: allowAt - now, remaining: 0 };
  }
  const remaining = Math.floor((now + tolerance - (newTat - interval)) / interval);
  return { granted: true, tat: newTat, waitMs: 0, remaining: Math.max(0, remaining) };
}

/** Charge tokens spent elsewhere: push the TAT forward without asking for permission. */
export function gcraCharge(tat: number, now: number, limit: GcraLimit, tokens: number): number {
  const interval = 1000 / limit.ratePerSec;
  return Math.max(tat, now) + interval * tokens;
}
