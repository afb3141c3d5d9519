// The bench's gaps: one collector that covered every symbol was silent for `minutes` minutes ending a
// few minutes ago, told to the system the way the supervisor tells it (COLLECTOR_DOWN with a gap per
// symbol, then COLLECTOR_UP closing them), and the fewest pages an ideal client needs to fill them.
import { MINUTE_MS, kstMidnight, minuteOf } from '../../machines/marketHours.ts';
import type { CollectorDownEvent, CollectorUpEvent, GapRef } from '../../machines/types.ts';

export interface BenchGap {
  id: string;
  symbol: string;
  start: number;
  end: number;
  priority: number;
}

export interface GapSet {
  gaps: BenchGap[];
  down: CollectorDownEvent;
  up: CollectorUpEvent;
  /** Minimum broker pages: per gap ceil(its minutes incl. both boundary minutes / page), at least 1. */
  pagesNeeded: number;
}

export const KIS_PAGE = 30;

/** Minutes a gap's back-fill must fetch: minute(start) .. minute(end), both boundaries included. */
export function gapMinutes(g: { start: number; end: number }): number {
  return (minuteOf(g.end) - minuteOf(g.start)) / MINUTE_MS + 1;
}

/**
 * Gaps of `minutes` minutes ending `endAgoMs` before `now`; starts fall a little apart within their
 * minute, like last ticks do. Refused when the window reaches back past KST midnight (KIS minute
 * bars are today only, so that part would be unreachable, not a speed question).
 */
export function makeGaps(
  symbols: { symbol: string; volume: number }[],
  o: { now: number; minutes: number; endAgoMs: number; tag: string },
): GapSet {
  const end0 = o.now - o.endAgoMs;
  const start0 = end0 - o.minutes * MINUTE_MS;
  if (minuteOf(start0) - MINUTE_MS < kstMidnight(o.now)) {
    throw new Error('the gap window would start before KST midnight; run the bench a little later');
  }
  const collector = `collector:bench-${o.tag}`;
  const gaps = symbols.map(({ symbol, volume }, i): BenchGap => {
    // Within the same minute as start0/end0 (offsets < 1 s), so every gap spans the same minutes.
    const jitter = (i * 7919) % 1000;
    const start = Math.max(minuteOf(start0), start0 - jitter);
    const end = Math.max(minuteOf(end0), end0 - jitter);
    return { id: `gap:${symbol}:${start}`, symbol, start, end, priority: volume };
  });
  const refs: GapRef[] = gaps.map((g) => ({
    gapId: g.id,
    symbol: g.symbol,
    start: g.start,
    priority: g.priority,
  }));
  const down: CollectorDownEvent = {
    type: 'COLLECTOR_DOWN',
    id: `COLLECTOR_DOWN:bench:${o.tag}`,
    collector,
    symbols: symbols.map((s) => s.symbol),
    gapStart: Math.min(...gaps.map((g) => g.start)),
    detectedAt: start0 + 3000,
    reason: 'heartbeat-timeout',
    gaps: refs,
  };
  const up: CollectorUpEvent = {
    type: 'COLLECTOR_UP',
    id: `COLLECTOR_UP:bench:${o.tag}`,
    collector,
    gapEnd: end0,
    closed: gaps.map((g) => ({ gapId: g.id, symbol: g.symbol, end: g.end })),
  };
  const pagesNeeded = gaps.reduce((n, g) => n + Math.max(1, Math.ceil(gapMinutes(g) / KIS_PAGE)), 0);
  return { gaps, down, up, pagesNeeded };
}

/** The ideal scheduler at the limit: every needed page at exactly the limit, plus one answer. */
export function lowerBoundSeconds(pagesNeeded: number, ratePerSec: number, minResponseMs: number): number {
  return Math.ceil(pagesNeeded / ratePerSec) + minResponseMs / 1000;
}

/** The pages the naive client asks for: per gap, 30-minute chunks from its first minute. */
export function pagesOf(g: BenchGap): { symbol: string; to: number }[] {
  const pages: { symbol: string; to: number }[] = [];
  const last = minuteOf(g.end);
  for (let from = minuteOf(g.start); from <= last; from += KIS_PAGE * MINUTE_MS) {
    pages.push({ symbol: g.symbol, to: Math.min(from + (KIS_PAGE - 1) * MINUTE_MS, last) });
  }
  return pages;
}
