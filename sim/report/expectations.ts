// Checking a scenario's `expect` block against a report's metrics, and sealing a report with the
// result. A null metric fails every bound, except latency percentiles, where null means there was
// nothing to measure (no fault of that kind) and bounds pass.
import type { Expectation } from '../scenario/types.ts';
import { readMetric } from './metricPaths.ts';
import type { FailedExpectation, Metrics, Report, TimelineEntry } from './types.ts';

const NULL_PASSES = /^(detectionLatencyMs|recoveryStartLatencyMs)\./;

function describeBound(e: Expectation, metrics: Metrics): string {
  if (e.maxRatioToLowerBound !== undefined) {
    const slack = e.slackMs ? ` + ${e.slackMs}` : '';
    return `<= ${e.maxRatioToLowerBound} x lower bound (${metrics.timeToFullRecoveryLowerBoundMs})${slack}`;
  }
  if (e.min !== undefined && e.max !== undefined) return `in [${e.min}, ${e.max}]`;
  return e.min !== undefined ? `>= ${e.min}` : `<= ${e.max}`;
}

export function checkExpectations(expect: readonly Expectation[], metrics: Metrics): FailedExpectation[] {
  const failed: FailedExpectation[] = [];
  for (const e of expect) {
    const actual = readMetric(metrics, e.metric);
    let ok: boolean;
    if (actual === null) ok = NULL_PASSES.test(e.metric);
    else if (e.maxRatioToLowerBound !== undefined) {
      ok = actual <= e.maxRatioToLowerBound * metrics.timeToFullRecoveryLowerBoundMs + (e.slackMs ?? 0);
    } else ok = (e.min === undefined || actual >= e.min) && (e.max === undefined || actual <= e.max);
    if (ok) continue;
    const bound = describeBound(e, metrics);
    failed.push({
      metric: e.metric,
      bound,
      actual,
      message: `${e.metric} = ${actual === null ? 'none' : actual}, expected ${bound}`,
    });
  }
  return failed;
}

export interface ReportInput {
  scenario: string;
  seed: number;
  virtualMs: number;
  wallMs: number;
  metrics: Metrics;
  timeline: TimelineEntry[];
  expect: readonly Expectation[];
}

/** A finished report: expectations checked, `passed` set. */
export function buildReport(input: ReportInput): Report {
  const failedExpectations = checkExpectations(input.expect, input.metrics);
  return {
    scenario: input.scenario,
    seed: input.seed,
    virtualMs: input.virtualMs,
    wallMs: input.wallMs,
    passed: failedExpectations.length === 0,
    failedExpectations,
    metrics: input.metrics,
    timeline: input.timeline,
  };
}
