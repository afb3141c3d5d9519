// Pure metric functions the world wiring calls with raw observations: bar completeness against
// the exchange's truth, latency percentiles, and an all-zero Metrics to fill in.
import type { Bar } from '../../machines/types.ts';
import type { LatencyStats, Metrics } from './types.ts';

export interface BarComparison {
  /** Bars the exchange produced (the denominator). */
  truth: number;
  /** Stored with equal open, high, low, close and volume. */
  equal: number;
  /** Truth bars with no stored bar. */
  missing: number;
  /** Stored, but some OHLCV field differs. */
  different: number;
  /** Stored bars with no truth bar (a minute without trades, or an unknown symbol). */
  extra: number;
}

/** Compare stored bars with the truth by (symbol, minute); extra fields (source) are ignored. */
export function compareBars(truth: Iterable<Bar>, stored: Iterable<Bar>): BarComparison {
  const bySymbol = new Map<string, Map<number, Bar>>();
  let storedCount = 0;
  for (const bar of stored) {
    let minutes = bySymbol.get(bar.symbol);
    if (!minutes) bySymbol.set(bar.symbol, (minutes = new Map()));
    if (!minutes.has(bar.minute)) storedCount += 1;
    minutes.set(bar.minute, bar);
  }
  const result: BarComparison = { truth: 0, equal: 0, missing: 0, different: 0, extra: 0 };
  for (const t of truth) {
    result.truth += 1;
    const s = bySymbol.get(t.symbol)?.get(t.minute);
    if (!s) result.missing += 1;
    else if (
      s.open === t.open &&
      s.high === t.high &&
      s.low === t.low &&
      s.close === t.close &&
      s.volume === t.volume
    ) {
      result.equal += 1;
    } else result.different += 1;
  }
  result.extra = storedCount - result.equal - result.different;
  return result;
}

/**
 * Share of the exchange's bars (pass only covered symbols' bars of the session) stored equal on
 * OHLCV. 1.0 means a backtest sees the true day; an empty truth counts as complete.
 */
export function completeness(truth: Iterable<Bar>, stored: Iterable<Bar>): number {
  const c = compareBars(truth, stored);
  return c.truth === 0 ? 1 : c.equal / c.truth;
}

/** Nearest-rank percentile (p in (0, 100]): the smallest sample with at least p % at or below it. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export function latencyStats(samples: readonly number[]): LatencyStats {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: percentile(samples, 100) };
}

/** A Metrics with nothing measured yet: zero counts, null latencies, completeness 1. */
export function emptyMetrics(rateLimitPerSec = 0): Metrics {
  return {
    detectionLatencyMs: { p50: null, p99: null, max: null },
    recoveryStartLatencyMs: { p50: null, p99: null, max: null },
    timeToFullRecoveryMs: 0,
    timeToFullRecoveryLowerBoundMs: 0,
    gapMinutes: { truth: 0, recovered: 0, unrecoverable: 0 },
    completeness: 1,
    brokerRejections: 0,
    maxRequestsInAnySecond: 0,
    rateLimitPerSec,
    ticksLost: 0,
    duplicateRows: 0,
    backfillRequests: 0,
    restarts: {},
    escalations: 0,
    priorityInversions: 0,
    invariantViolations: [],
  };
}
