// The `--html FILE` page: self-contained (inline CSS, no scripts, no external assets) summary,
// per-scenario metrics and failed expectations, and the timeline table.
import { writeFileSync } from 'node:fs';
import { kstClock, ms, ratio, recoveryVsBound, restartsSummary } from './format.ts';
import type { Report } from './types.ts';

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f3f3f3}.pass{color:#176f2c;font-weight:bold}.fail{color:#b00020;font-weight:bold}
details{margin-bottom:2em}code{font-size:13px}`;

function cells(values: string[], tag = 'td'): string {
  return `<tr>${values.map((v) => `<${tag}>${escapeHtml(v)}</${tag}>`).join('')}</tr>`;
}

function scenarioSection(r: Report): string {
  const m = r.metrics;
  const metricRows: [string, string][] = [
    ['seed', String(r.seed)],
    ['virtual time', ms(r.virtualMs)],
    ['completeness', ratio(m.completeness)],
    [
      'detection latency p50 / p99 / max',
      [m.detectionLatencyMs.p50, m.detectionLatencyMs.p99, m.detectionLatencyMs.max].map(ms).join(' / '),
    ],
    [
      'recovery start latency p50 / p99 / max',
      [m.recoveryStartLatencyMs.p50, m.recoveryStartLatencyMs.p99, m.recoveryStartLatencyMs.max]
        .map(ms)
        .join(' / '),
    ],
    ['full recovery / lower bound', recoveryVsBound(m)],
    [
      'gap minutes truth / recovered / unrecoverable',
      `${m.gapMinutes.truth} / ${m.gapMinutes.recovered} / ${m.gapMinutes.unrecoverable}`,
    ],
    ['broker rejections', String(m.brokerRejections)],
    ['max requests in any second / limit', `${m.maxRequestsInAnySecond} / ${m.rateLimitPerSec}`],
    ['ticks lost', String(m.ticksLost)],
    ['duplicate rows', String(m.duplicateRows)],
    ['back-fill requests', String(m.backfillRequests)],
    ['restarts', restartsSummary(m)],
    ['escalations', String(m.escalations)],
    ['priority inversions', String(m.priorityInversions)],
    ['invariant violations', String(m.invariantViolations.length)],
  ];
  const failed = r.failedExpectations.length
    ? `<ul>${r.failedExpectations.map((f) => `<li class="fail">${escapeHtml(f.message)}</li>`).join('')}</ul>`
    : '';
  const violations = m.invariantViolations.length
    ? `<table>${cells(['at', 'invariant', 'detail'], 'th')}${m.invariantViolations
        .map((v) => cells([kstClock(v.at), String(v.invariant), v.detail]))
        .join('')}</table>`
    : '';
  const timeline = r.timeline.map((t) => cells([kstClock(t.at), t.kind, t.subject, t.detail])).join('');
  return `<section><h2 id="${escapeHtml(r.scenario)}">${escapeHtml(r.scenario)} <span class="${r.passed ? 'pass' : 'fail'}">${r.passed ? 'passed' : 'FAILED'}</span></h2>
${failed}<table>${metricRows.map(([k, v]) => cells([k, v])).join('')}</table>${violations}
<details><summary>timeline (${r.timeline.length} entries)</summary><table>${cells(['at (KST)', 'kind', 'subject', 'detail'], 'th')}${timeline}</table></details></section>`;
}

export function renderHtml(reports: Report[]): string {
  const summary = reports
    .map((r) =>
      cells([
        r.scenario,
        r.passed ? 'passed' : 'FAILED',
        ratio(r.metrics.completeness),
        recoveryVsBound(r.metrics),
      ]),
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tickguard simulation report</title><style>${CSS}</style></head>
<body><h1>tickguard simulation report</h1>
<table>${cells(['scenario', 'result', 'completeness', 'full recovery / bound'], 'th')}${summary}</table>
${reports.map(scenarioSection).join('\n')}
</body></html>
`;
}

export function writeHtmlReport(file: string, reports: Report[]): void {
  writeFileSync(file, renderHtml(reports));
}
