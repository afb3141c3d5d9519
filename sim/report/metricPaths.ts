// The metric paths an `expect` block may name ('completeness', 'detectionLatencyMs.p99',
// 'restarts.writer.supervisor', ...), which way a bare number bounds each, and how to read one.
import type { Metrics } from './types.ts';

const PLAIN = [
  'completeness',
  'ticksLost',
  'duplicateRows',
  'brokerRejections',
  'maxRequestsInAnySecond',
  'rateLimitPerSec',
  'backfillRequests',
  'priorityInversions',
  'escalations',
  'timeToFullRecoveryMs',
  'timeToFullRecoveryLowerBoundMs',
  'invariantViolations',
];
const NESTED: Record<string, string[]> = {
  detectionLatencyMs: ['p50', 'p99', 'max'],
  recoveryStartLatencyMs: ['p50', 'p99', 'max'],
  gapMinutes: ['truth', 'recovered', 'unrecoverable'],
};
const RESTART_KINDS = ['supervisor', 'platform', 'total'];

/** Metrics where a bare number is a lower bound ("at least"); every other metric takes an upper bound. */
export const LOWER_BOUND_METRICS = new Set(['completeness']);

/** Why `path` is not a metric path, or undefined when it is one. `components` checks restart paths. */
export function checkMetricPath(path: string, components?: (id: string) => boolean): string | undefined {
  const parts = path.split('.');
  if (parts.length === 1 && PLAIN.includes(path)) return undefined;
  const head = parts[0];
  if (NESTED[head]) {
    if (parts.length === 2 && NESTED[head].includes(parts[1])) return undefined;
    return `use ${NESTED[head].map((p) => `${head}.${p}`).join(', ')}`;
  }
  if (head === 'restarts') {
    if (parts.length === 2 && parts[1] === 'total') return undefined;
    if (parts.length === 3 && RESTART_KINDS.includes(parts[2])) {
      if (components && !components(parts[1])) return `unknown component "${parts[1]}"`;
      return undefined;
    }
    return 'use restarts.total or restarts.COMPONENT.supervisor|platform|total';
  }
  return `unknown metric (known: ${[...PLAIN, ...Object.keys(NESTED), 'restarts'].join(', ')})`;
}

/**
 * The number a path designates: invariantViolations counts entries; restarts sum what is asked;
 * null when the report holds no value (no samples).
 */
export function readMetric(metrics: Metrics, path: string): number | null {
  const parts = path.split('.');
  if (parts[0] === 'invariantViolations') return metrics.invariantViolations.length;
  if (parts[0] === 'restarts') {
    const entries = parts[1] === 'total' ? Object.values(metrics.restarts) : [metrics.restarts[parts[1]]];
    let sum = 0;
    for (const r of entries) {
      if (!r) continue;
      if (parts[2] !== 'platform') sum += r.supervisor;
      if (parts[2] !== 'supervisor') sum += r.platform;
    }
    return sum;
  }
  let value: unknown = metrics;
  for (const part of parts) value = (value as Record<string, unknown> | null)?.[part];
  return typeof value === 'number' ? value : null;
}
