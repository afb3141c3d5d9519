// The terminal summary of a `tickguard sim` run: one row per scenario, then one line per failed
// expectation naming scenario, metric, bound and actual value.
import { ms, ratio, recoveryVsBound, restartsSummary } from './format.ts';
import type { Report } from './types.ts';

const HEADERS = [
  'scenario',
  'passed',
  'completeness',
  'rejections',
  'ticksLost',
  'detect p99',
  'recov start p99',
  'full recovery / bound',
  'restarts',
];

function row(r: Report): string[] {
  const m = r.metrics;
  return [
    r.scenario,
    r.passed ? 'yes' : 'NO',
    ratio(m.completeness),
    String(m.brokerRejections),
    String(m.ticksLost),
    ms(m.detectionLatencyMs.p99),
    ms(m.recoveryStartLatencyMs.p99),
    recoveryVsBound(m),
    restartsSummary(m),
  ];
}

export function renderTable(reports: Report[]): string {
  const rows = [HEADERS, ...reports.map(row)];
  const widths = HEADERS.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  const out = [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  const failures = reports.flatMap((r) =>
    r.failedExpectations.map((f) => `FAIL ${r.scenario}: ${f.message}`),
  );
  const passed = reports.filter((r) => r.passed).length;
  out.push('', `${passed}/${reports.length} scenarios passed`, ...failures);
  return `${out.join('\n')}\n`;
}
