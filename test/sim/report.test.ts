// Report: completeness against truth bars, percentiles, expectation checks (bounds, ratio to the
// lower bound, null metrics), the recovery lower bound, and the JSON / table / HTML / progress output.
import { describe, expect, it } from 'vitest';
import { MINUTE_MS, kstTime } from '../../machines/marketHours.ts';
import type { Bar } from '../../machines/types.ts';
import { buildReport, checkExpectations } from '../../sim/report/expectations.ts';
import { renderHtml } from '../../sim/report/html.ts';
import { canonicalReport, reportsToJson } from '../../sim/report/json.ts';
import { recoveryLowerBound } from '../../sim/report/lowerBound.ts';
import {
  compareBars,
  completeness,
  emptyMetrics,
  latencyStats,
  percentile,
} from '../../sim/report/metrics.ts';
import { createProgress } from '../../sim/report/progress.ts';
import { renderTable } from '../../sim/report/table.ts';
import type { Metrics, Report } from '../../sim/report/types.ts';
import type { Expectation } from '../../sim/scenario/types.ts';

const T0 = kstTime('2025-06-02', '09:00');
const bar = (symbol: string, m: number, close = 100, volume = 10): Bar => ({
  symbol,
  minute: T0 + m * MINUTE_MS,
  open: 100,
  high: Math.max(100, close),
  low: Math.min(100, close),
  close,
  volume,
});

function metrics(patch: Partial<Metrics> = {}): Metrics {
  return { ...emptyMetrics(20), ...patch };
}

function report(patch: Partial<Report> = {}, m: Partial<Metrics> = {}): Report {
  return {
    scenario: 'collector-crash',
    seed: 7,
    virtualMs: 900_000,
    wallMs: 1234,
    passed: true,
    failedExpectations: [],
    metrics: metrics(m),
    timeline: [{ at: T0 + 300_000, kind: 'fault', subject: 'collector:kis-1', detail: 'kill' }],
    ...patch,
  };
}

describe('metric functions', () => {
  it('counts a truth bar complete only when every OHLCV field matches', () => {
    const truth = [bar('A', 0), bar('A', 1, 101), bar('A', 2), bar('B', 0)];
    const stored = [
      bar('A', 0),
      { ...bar('A', 1, 101), volume: 9 },
      bar('B', 0),
      bar('B', 5),
      { ...bar('A', 0), source: 'backfill' },
    ];
    expect(compareBars(truth, stored)).toEqual({ truth: 4, equal: 2, missing: 1, different: 1, extra: 1 });
    expect(completeness(truth, stored)).toBe(0.5);
    expect(completeness(truth, truth)).toBe(1);
    expect(completeness([], [bar('A', 0)])).toBe(1);
  });

  it('uses nearest-rank percentiles and null for no samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(latencyStats([300, 100, 200])).toEqual({ p50: 200, p99: 300, max: 300 });
    expect(latencyStats([])).toEqual({ p50: null, p99: null, max: null });
  });
});

describe('expectations', () => {
  const e = (x: Expectation) => x;

  it('passes bounds that hold and names metric, bound and actual for those that do not', () => {
    const m = metrics({
      completeness: 0.98,
      ticksLost: 3,
      detectionLatencyMs: { p50: 900, p99: 2500, max: 4000 },
      restarts: { 'collector:kis-1': { supervisor: 2, platform: 1 }, writer: { supervisor: 0, platform: 1 } },
      invariantViolations: [{ invariant: 8, at: T0, detail: 'tick lost' }],
    });
    const failed = checkExpectations(
      [
        e({ metric: 'completeness', min: 1 }),
        e({ metric: 'ticksLost', max: 0 }),
        e({ metric: 'detectionLatencyMs.p99', max: 3000 }),
        e({ metric: 'detectionLatencyMs.max', max: 3000 }),
        e({ metric: 'restarts.collector:kis-1.supervisor', min: 1, max: 2 }),
        e({ metric: 'restarts.total', max: 3 }),
        e({ metric: 'invariantViolations', max: 0 }),
      ],
      m,
    );
    expect(failed.map((f) => f.message)).toEqual([
      'completeness = 0.98, expected >= 1',
      'ticksLost = 3, expected <= 0',
      'detectionLatencyMs.max = 4000, expected <= 3000',
      'restarts.total = 4, expected <= 3',
      'invariantViolations = 1, expected <= 0',
    ]);
    expect(failed[0]).toEqual({
      metric: 'completeness',
      bound: '>= 1',
      actual: 0.98,
      message: failed[0].message,
    });
  });

  it('compares time to full recovery with a ratio of its lower bound plus slack', () => {
    const m = metrics({ timeToFullRecoveryMs: 66_000, timeToFullRecoveryLowerBoundMs: 60_000 });
    expect(checkExpectations([e({ metric: 'timeToFullRecoveryMs', maxRatioToLowerBound: 1.1 })], m)).toEqual(
      [],
    );
    const late = metrics({ timeToFullRecoveryMs: 66_001, timeToFullRecoveryLowerBoundMs: 60_000 });
    const [f] = checkExpectations([e({ metric: 'timeToFullRecoveryMs', maxRatioToLowerBound: 1.1 })], late);
    expect(f.message).toBe('timeToFullRecoveryMs = 66001, expected <= 1.1 x lower bound (60000)');
    expect(
      checkExpectations([e({ metric: 'timeToFullRecoveryMs', maxRatioToLowerBound: 1.1, slackMs: 1 })], late),
    ).toEqual([]);
  });

  it('lets missing latency samples pass but fails a recovery that never happened', () => {
    const m = metrics({ timeToFullRecoveryMs: null });
    const failed = checkExpectations(
      [
        e({ metric: 'detectionLatencyMs.p99', max: 3000 }),
        e({ metric: 'timeToFullRecoveryMs', max: 120_000 }),
      ],
      m,
    );
    expect(failed.map((f) => f.message)).toEqual(['timeToFullRecoveryMs = none, expected <= 120000']);
  });

  it('seals a report: passed only when no expectation failed', () => {
    const base = { scenario: 's', seed: 1, virtualMs: 1, wallMs: 1, timeline: [] };
    expect(
      buildReport({ ...base, metrics: metrics(), expect: [e({ metric: 'ticksLost', max: 0 })] }).passed,
    ).toBe(true);
    const bad = buildReport({
      ...base,
      metrics: metrics({ ticksLost: 1 }),
      expect: [e({ metric: 'ticksLost', max: 0 })],
    });
    expect(bad.passed).toBe(false);
    expect(bad.failedExpectations).toHaveLength(1);
  });
});

describe('recovery lower bound', () => {
  it('is zero without gaps', () => {
    expect(
      recoveryLowerBound({ gaps: [], barsPerRequest: 30, rateLimitPerSec: 20, lastFaultEnd: T0 }),
    ).toEqual({
      lowerBoundMs: 0,
      requests: 0,
      idealFinish: null,
    });
  });

  it('waits for the last minute of a gap to complete', () => {
    // Gap 09:05:10-09:06:20: minutes 09:05 and 09:06, one request, released at 09:07:00.
    const fault = T0 + 5 * MINUTE_MS;
    const lb = recoveryLowerBound({
      gaps: [{ symbol: 'A', start: fault + 10_000, end: fault + 80_000, faultStart: fault }],
      barsPerRequest: 30,
      rateLimitPerSec: 20,
      lastFaultEnd: fault,
    });
    expect(lb).toEqual({ lowerBoundMs: 120_000, requests: 1, idealFinish: T0 + 7 * MINUTE_MS });
  });

  it('chunks long gaps by barsPerRequest and serves the requests at the rate limit', () => {
    // 40 symbols with a 65-minute gap 09:00-10:04: 3 chunks each (30 + 30 + 5 minutes) = 120 requests.
    // The first two chunks of every symbol are released before the fault ended (not before it began),
    // the last ones at 10:05; 40 of them at 2 req/s after 10:05 take 19.5 s.
    const gaps = Array.from({ length: 40 }, (_, i) => ({
      symbol: `S${i}`,
      start: T0,
      end: T0 + 64 * MINUTE_MS + 5_000,
      faultStart: T0,
    }));
    const lb = recoveryLowerBound({
      gaps,
      barsPerRequest: 30,
      rateLimitPerSec: 2,
      lastFaultEnd: T0 + 65 * MINUTE_MS,
    });
    expect(lb.requests).toBe(120);
    expect(lb.lowerBoundMs).toBe(19_500);
  });

  it('never releases a chunk before its fault began', () => {
    const start = T0;
    const faultStart = T0 + 10 * MINUTE_MS; // silent loss noticed late: gap reaches back before the fault
    const lb = recoveryLowerBound({
      gaps: [{ symbol: 'A', start, end: start + 30_000, faultStart }],
      barsPerRequest: 30,
      rateLimitPerSec: 20,
      lastFaultEnd: faultStart,
    });
    expect(lb.idealFinish).toBe(faultStart);
    expect(lb.lowerBoundMs).toBe(0);
  });
});

describe('report output', () => {
  it('writes byte-identical JSON for the same run apart from wallMs, in a fixed key order', () => {
    const a = report(
      {},
      {
        restarts: {
          writer: { supervisor: 1, platform: 0 },
          'collector:kis-1': { supervisor: 0, platform: 2 },
        },
      },
    );
    const shuffled: Report = JSON.parse(JSON.stringify({ ...a, wallMs: 999 }));
    shuffled.metrics = Object.fromEntries(Object.entries(shuffled.metrics).reverse()) as unknown as Metrics;
    shuffled.metrics.restarts = {
      writer: { platform: 0, supervisor: 1 },
      'collector:kis-1': { platform: 2, supervisor: 0 },
    };
    const ja = reportsToJson([a]);
    const jb = reportsToJson([shuffled]);
    expect(jb.replace('"wallMs": 999', '"wallMs": 1234')).toBe(ja);
    const parsed = JSON.parse(ja);
    expect(Object.keys(parsed[0])).toEqual([
      'scenario',
      'seed',
      'virtualMs',
      'wallMs',
      'passed',
      'failedExpectations',
      'metrics',
      'timeline',
    ]);
    expect(Object.keys(parsed[0].metrics.restarts)).toEqual(['collector:kis-1', 'writer']);
    expect(canonicalReport(a)).toEqual(a);
  });

  it('renders one table row per scenario and one line per failed expectation', () => {
    const failing = report(
      {
        scenario: 'cascade',
        passed: false,
        failedExpectations: [
          { metric: 'ticksLost', bound: '<= 0', actual: 4, message: 'ticksLost = 4, expected <= 0' },
        ],
      },
      {
        ticksLost: 4,
        timeToFullRecoveryMs: 66_000,
        timeToFullRecoveryLowerBoundMs: 60_000,
        detectionLatencyMs: { p50: 1, p99: 2100, max: 2100 },
      },
    );
    const text = renderTable([report(), failing]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      /^scenario\s+passed\s+completeness\s+rejections\s+ticksLost\s+detect p99\s+recov start p99\s+full recovery \/ bound\s+restarts$/,
    );
    expect(lines[2]).toMatch(/^collector-crash\s+yes\s+1\.0\s+0\s+0\s+-\s+-/);
    expect(lines[3]).toMatch(
      /^cascade\s+NO\s+1\.0\s+0\s+4\s+2\.1s\s+-\s+1m06s \/ 1m00s \(1\.10x\)\s+sup 0 plat 0$/,
    );
    expect(text).toContain('1/2 scenarios passed');
    expect(text).toContain('FAIL cascade: ticksLost = 4, expected <= 0');
  });

  it('renders a self-contained HTML page with escaped text', () => {
    const html = renderHtml([
      report({ timeline: [{ at: T0 + 1, kind: 'event', subject: '<script>', detail: 'a & b' }] }),
    ]);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('a &amp; b');
    expect(html).toContain('09:00:00.001');
  });

  it('draws progress only on a terminal', () => {
    const written: string[] = [];
    const piped = createProgress(2, { isTTY: false, write: (s) => written.push(s) });
    piped.start(0, 'a');
    piped.update(0.5);
    piped.done();
    expect(written).toEqual([]);
    const tty = createProgress(2, { isTTY: true, write: (s) => written.push(s) });
    tty.start(1, 'cascade');
    tty.update(0.5);
    tty.update(0.501);
    tty.done();
    expect(written.filter((s) => s.includes('cascade'))).toEqual([
      '\r\x1b[2K[2/2] cascade 0%',
      '\r\x1b[2K[2/2] cascade 50%',
    ]);
  });
});
