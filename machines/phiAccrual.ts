// Phi-accrual failure detector (Hayashibara et al.; Akka's variant): heartbeat inter-arrival times in a
// sliding window, modelled as a normal distribution shifted by an acceptable pause. Besides phi itself
// it gives the closed-form time at which phi crosses the threshold, so a caller arms one timer per beat.

export interface PhiParams {
  phiThreshold: number;
  phiMinStdDevMs: number;
  acceptableHeartbeatPauseMs: number;
  /** Expected interval; the prior while fewer than two intervals are known. */
  heartbeatIntervalMs: number;
}

export const PHI_WINDOW = 100;

/** Append one interval, keeping the newest `window` (a new array: callers keep history immutable). */
export function addInterval(history: readonly number[], intervalMs: number, window = PHI_WINDOW): number[] {
  const next = [...history, intervalMs];
  return next.length > window ? next.slice(next.length - window) : next;
}

export interface IntervalStats {
  mean: number;
  stdDev: number;
}

/**
 * Mean and standard deviation of the window, floored at phiMinStdDevMs. With fewer than two samples
 * the prior is used: mean = the configured interval, spread = an eighth of it (tight enough that a
 * process which dies right after its first beat is still caught within 3 s at 1 s beats).
 */
export function intervalStats(history: readonly number[], p: PhiParams): IntervalStats {
  if (history.length < 2) {
    return { mean: p.heartbeatIntervalMs, stdDev: Math.max(p.phiMinStdDevMs, p.heartbeatIntervalMs / 8) };
  }
  const mean = history.reduce((s, x) => s + x, 0) / history.length;
  const variance = history.reduce((s, x) => s + (x - mean) ** 2, 0) / history.length;
  return { mean, stdDev: Math.max(p.phiMinStdDevMs, Math.sqrt(variance)) };
}

/** Complementary error function (Numerical Recipes erfcc, relative error < 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(X > x) for a standard normal X. */
export function normalUpperTail(x: number): number {
  return 0.5 * erfc(x / Math.SQRT2);
}

const A = [
  -39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p <= 0 ? -Infinity : Infinity;
  const low = 0.02425;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const x =
      (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
    return p < low ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
    (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1)
  );
}

/** phi after `elapsedMs` of silence: -log10 of the probability that the next beat is still to come. */
export function phi(history: readonly number[], elapsedMs: number, p: PhiParams): number {
  const { mean, stdDev } = intervalStats(history, p);
  const tail = normalUpperTail((elapsedMs - mean - p.acceptableHeartbeatPauseMs) / stdDev);
  return tail <= 0 ? Infinity : -Math.log10(tail);
}

/**
 * The time at which phi reaches the threshold if no beat arrives after `lastAt`:
 * lastAt + mean + pause + stdDev * z, where P(Z > z) = 10^-threshold.
 */
export function suspicionDeadline(history: readonly number[], lastAt: number, p: PhiParams): number {
  const { mean, stdDev } = intervalStats(history, p);
  const z = -normalQuantile(10 ** -p.phiThreshold);
  return lastAt + mean + p.acceptableHeartbeatPauseMs + stdDev * z;
}
