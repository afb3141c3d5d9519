// The `--json FILE` writer: an array of reports with a fixed key order (so two runs of one seed are
// byte-identical apart from wallMs); maps keyed by component are sorted by key.
import { writeFileSync } from 'node:fs';
import type { LatencyStats, Metrics, Report } from './types.ts';

function latency(l: LatencyStats): LatencyStats {
  return { p50: l.p50, p99: l.p99, max: l.max };
}

function sortedRecord<T, U>(record: Record<string, T>, map: (v: T) => U): Record<string, U> {
  const out: Record<string, U> = {};
  for (const key of Object.keys(record).sort()) out[key] = map(record[key]);
  return out;
}

function canonicalMetrics(m: Metrics): Metrics {
  return {
    detectionLatencyMs: latency(m.detectionLatencyMs),
    recoveryStartLatencyMs: latency(m.recoveryStartLatencyMs),
    timeToFullRecoveryMs: m.timeToFullRecoveryMs,
    timeToFullRecoveryLowerBoundMs: m.timeToFullRecoveryLowerBoundMs,
    gapMinutes: {
      truth: m.gapMinutes.truth,
      recovered: m.gapMinutes.recovered,
      unrecoverable: m.gapMinutes.unrecoverable,
    },
    completeness: m.completeness,
    brokerRejections: m.brokerRejections,
    maxRequestsInAnySecond: m.maxRequestsInAnySecond,
    rateLimitPerSec: m.rateLimitPerSec,
    ticksLost: m.ticksLost,
    duplicateRows: m.duplicateRows,
    backfillRequests: m.backfillRequests,
    restarts: sortedRecord(m.restarts, (r) => ({ supervisor: r.supervisor, platform: r.platform })),
    escalations: m.escalations,
    priorityInversions: m.priorityInversions,
    invariantViolations: m.invariantViolations.map((v) => ({
      invariant: v.invariant,
      at: v.at,
      detail: v.detail,
    })),
  };
}

/** The report rebuilt in canonical key order (DESIGN section 9 order). */
export function canonicalReport(r: Report): Report {
  return {
    scenario: r.scenario,
    seed: r.seed,
    virtualMs: r.virtualMs,
    wallMs: r.wallMs,
    passed: r.passed,
    failedExpectations: r.failedExpectations.map((f) => ({
      metric: f.metric,
      bound: f.bound,
      actual: f.actual,
      message: f.message,
    })),
    metrics: canonicalMetrics(r.metrics),
    timeline: r.timeline.map((t) => ({ at: t.at, kind: t.kind, subject: t.subject, detail: t.detail })),
  };
}

export function reportsToJson(reports: Report[]): string {
  return `${JSON.stringify(reports.map(canonicalReport), null, 2)}\n`;
}

export function writeJsonReport(file: string, reports: Report[]): void {
  writeFileSync(file, reportsToJson(reports));
}
