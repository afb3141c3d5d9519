// The report's metrics (DESIGN section 8) computed at the end of a run from the world's ground
// truth (the exchange), the stores (memory PostgreSQL, gap ledger), the broker's counters and the
// observer's records.
import { MINUTE_MS, minuteOf } from '../../machines/marketHours.ts';
import type { Bar, Gap } from '../../machines/types.ts';
import type { ConcreteFault } from '../scenario/types.ts';
import type { Metrics } from '../report/types.ts';
import { compareBars, emptyMetrics, latencyStats } from '../report/metrics.ts';
import { recoveryLowerBound } from '../report/lowerBound.ts';
import { REST_APP_KEY, type World } from './world.ts';
import { checkGapLedger } from './invariants.ts';

function lastFaultEnd(faults: ConcreteFault[], fallback: number): number {
  return faults.length === 0 ? fallback : Math.max(...faults.map((f) => f.until ?? f.at));
}

/** Truth bars of covered symbols inside the market window. */
function truthBars(world: World): Bar[] {
  const { exchange, scenario } = world;
  const { fromMs, toMs } = scenario.market;
  const out: Bar[] = [];
  for (const symbol of world.deal.coverage.keys()) {
    for (const bar of exchange.barsUpTo(symbol, toMs)) {
      if (bar.minute >= fromMs && bar.minute < toMs) out.push(bar);
    }
  }
  return out;
}

function gapMinuteCount(gap: Gap, toMs: number): number {
  const end = Math.min(gap.end ?? toMs, toMs);
  return Math.max(0, Math.floor((minuteOf(end) - minuteOf(gap.start)) / MINUTE_MS) + 1);
}

export function computeMetrics(world: World, faults: ConcreteFault[], endedAt: number): Metrics {
  const { observer, ports, scenario, brokers, platform } = world;
  const { toMs } = scenario.market;
  const m = emptyMetrics(scenario.broker.rateLimitPerSec);
  checkGapLedger(world);

  const truth = truthBars(world);
  const stored: Bar[] = [];
  for (const bars of ports.store.allBars().values()) stored.push(...bars);
  const cmp = compareBars(truth, stored);
  m.completeness = cmp.truth === 0 ? 1 : cmp.equal / cmp.truth;

  // Ticks: every stored tick came through a collector, so loss is received minus stored.
  let lost = 0;
  let duplicates = 0;
  for (const symbol of observer.receivedSymbols()) {
    const received = observer.distinctReceived(symbol);
    const storedTicks = ports.store.tickCount(symbol);
    if (storedTicks < received) lost += received - storedTicks;
    else duplicates += storedTicks - received;
  }
  m.ticksLost = lost;
  m.duplicateRows = duplicates;

  const detections = observer.faults
    .filter((f) => f.detectable || f.detectedAt !== undefined)
    .map((f) => (f.detectedAt ?? endedAt) - f.start);
  m.detectionLatencyMs = latencyStats(detections);
  const recoveryStarts = observer.detections.map((d) => (d.firstRequestAt ?? endedAt) - d.at);
  m.recoveryStartLatencyMs = latencyStats(recoveryStarts);

  const gaps = ports.store.gapsNow();
  const recoverable = gaps.filter((g) => g.status !== 'unrecoverable');
  const unrecoverableMinutes = gaps
    .filter((g) => g.status === 'unrecoverable')
    .reduce((n, g) => n + gapMinuteCount(g, toMs), 0);
  const gapTruth = gaps.reduce((n, g) => n + gapMinuteCount(g, toMs), 0);
  m.gapMinutes = {
    truth: gapTruth,
    recovered: gapTruth - unrecoverableMinutes - cmp.missing,
    unrecoverable: unrecoverableMinutes,
  };
  if (m.gapMinutes.recovered < 0) m.gapMinutes.recovered = 0;

  const faultEnd = lastFaultEnd(faults, scenario.market.fromMs);
  const bound = recoveryLowerBound({
    gaps: recoverable.map((g) => ({
      symbol: g.symbol,
      start: g.start,
      end: Math.min(g.end ?? toMs, toMs - 1),
    })),
    barsPerRequest: scenario.broker.barsPerRequest,
    rateLimitPerSec: scenario.broker.rateLimitPerSec,
    lastFaultEnd: faultEnd,
    minLatencyMs: brokers.kis.minLatencyMs(),
    unavailable: faults
      .filter((f) => f.target === 'broker-rest' && f.kind === 'down' && f.until !== undefined)
      .map((f) => ({ from: f.at, to: f.until! })),
  });
  m.timeToFullRecoveryLowerBoundMs = bound.lowerBoundMs;
  const allDone = gaps.every(
    (g) =>
      g.status === 'recovered' ||
      g.status === 'unrecoverable' ||
      g.recoveredUntil >= Math.min(g.end ?? toMs, toMs),
  );
  if (gaps.length === 0) m.timeToFullRecoveryMs = 0;
  else if (!allDone || cmp.missing + cmp.different > 0) m.timeToFullRecoveryMs = null;
  else m.timeToFullRecoveryMs = Math.max(0, Math.round((observer.lastRecoveryAt() ?? faultEnd) - faultEnd));

  const rest = brokers.kis.stats().appKeys[REST_APP_KEY];
  m.brokerRejections = Object.values(brokers)
    .flatMap((b) => Object.values(b.stats().appKeys))
    .reduce((n, k) => n + k.rejections, 0);
  m.maxRequestsInAnySecond = rest?.maxRequestsInAnySecond ?? 0;
  m.backfillRequests = rest?.requests ?? 0;
  m.restarts = platform.restartCounts();
  m.escalations = observer.escalations;
  m.priorityInversions = observer.priorityInversions;
  m.invariantViolations = [...observer.violations].sort((a, b) => a.at - b.at || a.invariant - b.invariant);
  return m;
}
