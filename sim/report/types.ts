// The simulator's report (DESIGN section 9): one per scenario run, written by `tickguard sim --json`
// as an array. The world wiring fills `metrics` with the pure functions of sim/report/metrics.ts.

/** Percentiles of a latency sample; null when nothing was measured (no fault of that kind). */
export interface LatencyStats {
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface RestartCounts {
  /** Restarts the supervisor ordered through ProcessControl. */
  supervisor: number;
  /** Restarts the platform did on its own (Docker `restart: always` after an exit). */
  platform: number;
}

export interface InvariantViolation {
  /** DESIGN section 10 invariant number. */
  invariant: number;
  at: number;
  detail: string;
}

export interface Metrics {
  /**
   * From each fault's start to the supervisor marking the component down (or the gap open). A fault
   * still undetected at the end of the run counts with (end of run - fault start), so a missed
   * detection can never pass a bound.
   */
  detectionLatencyMs: LatencyStats;
  /**
   * From detection to the first back-fill request of the gap; when the gap's first minute completes
   * only after detection (a minute is fetchable once complete), from that moment instead, so the
   * metric measures the scheduler, not the clock. Undetected or never-started gaps count with
   * (end of run - start).
   */
  recoveryStartLatencyMs: LatencyStats;
  /** From the end of the last fault to the moment every recoverable gap minute is stored; null if never. */
  timeToFullRecoveryMs: number | null;
  /** The ideal scheduler's bound (see lowerBound.ts). */
  timeToFullRecoveryLowerBoundMs: number;
  gapMinutes: { truth: number; recovered: number; unrecoverable: number };
  /** Share of the exchange's bars (covered symbols, session) stored with equal OHLCV; 1 = the true day. */
  completeness: number;
  brokerRejections: number;
  maxRequestsInAnySecond: number;
  rateLimitPerSec: number;
  /** Ticks a collector received from the broker that never reached `ticks`. */
  ticksLost: number;
  /** Rows (ticks or bars) stored more than once. */
  duplicateRows: number;
  backfillRequests: number;
  /** Per component id ('collector:kis-1', 'writer', ...). */
  restarts: Record<string, RestartCounts>;
  /** Components the supervisor gave up on (`failed`: restart intensity exceeded). */
  escalations: number;
  priorityInversions: number;
  invariantViolations: InvariantViolation[];
}

export interface FailedExpectation {
  metric: string;
  /** Human form of the bound: '<= 3000', '>= 1', '<= 1.1 x lower bound (60000) + 0'. */
  bound: string;
  /** The measured value (null when missing). */
  actual: number | null;
  /** One line: 'detectionLatencyMs.p99 = 4200, expected <= 3000'. */
  message: string;
}

/** One line of the timeline: a fault, a state change or an event, in virtual time. */
export interface TimelineEntry {
  at: number;
  /** 'fault' | 'state' | 'event' | 'restart' | ... */
  kind: string;
  /** The component or actor concerned. */
  subject: string;
  detail: string;
}

export interface Report {
  scenario: string;
  seed: number;
  /** Virtual time simulated. */
  virtualMs: number;
  /** Wall time spent (the only field allowed to differ between two runs of one seed). */
  wallMs: number;
  passed: boolean;
  failedExpectations: FailedExpectation[];
  metrics: Metrics;
  timeline: TimelineEntry[];
}
