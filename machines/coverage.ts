// Coverage and gap bookkeeping (DESIGN section 7, INTERNALS "Events and gaps"), pure: which symbols a
// healthy, broker-connected collector covers; one COLLECTOR_DOWN per collector outage with a gap for
// each symbol it leaves uncovered; COLLECTOR_UP closing them. Gaps of a symbol never overlap.
import { sessionOpenedAt } from './detection.ts';
import { isSessionOpen, type SessionHours } from './marketHours.ts';
import type { CollectorDownEvent, CollectorUpEvent, GapRef, HeartbeatPayload, ViewState } from './types.ts';

export interface CoverageConfig {
  /** collector id -> symbols it is meant to cover. */
  coverage: Record<string, string[]>;
  /** symbol -> volume (gap priority). */
  volumes: Record<string, number>;
  session: SessionHours;
}

export interface OpenGap extends GapRef {
  collector: string;
}

export interface CoverageState {
  /** Collector has had a COLLECTOR_DOWN with no COLLECTOR_UP yet. */
  outage: Record<string, boolean>;
  /** Result of the collector's last evaluation. */
  covering: Record<string, boolean>;
  /** symbol -> its one open gap. */
  open: Record<string, OpenGap>;
  /** symbol -> its last closed gap (a new gap starts no earlier than its end). */
  lastClosed: Record<string, { start: number; end: number }>;
}

export interface CollectorStatus {
  state: ViewState;
  reason: string;
  beat: HeartbeatPayload | undefined;
}

export function emptyCoverage(): CoverageState {
  return { outage: {}, covering: {}, open: {}, lastClosed: {} };
}

/**
 * Healthy or degraded (spooling, not yet stalled), beating, with its broker connection up. A view
 * degraded for a lost broker connection does not cover even when a newer beat says connected: a
 * beat is judged here before its view has seen it, and the view may yet say `recovering` (a beat
 * while subscribing), so covering for that instant would end at once in a spurious COLLECTOR_DOWN.
 */
export function isCovering(s: CollectorStatus | undefined): boolean {
  const judged = s?.state === 'healthy' || (s?.state === 'degraded' && s.reason !== 'broker-ws-lost');
  return judged && !!s!.beat && s!.beat.brokerConnected !== false;
}

export function coversSymbol(s: CollectorStatus | undefined, symbol: string): boolean {
  return isCovering(s) && !s!.beat!.rejected?.[symbol];
}

/** Whether any collector meant to cover `symbol` covers it now (optionally ignoring one). */
export function symbolCovered(
  cfg: CoverageConfig,
  statuses: Readonly<Record<string, CollectorStatus>>,
  symbol: string,
  except?: string,
): boolean {
  for (const [collector, symbols] of Object.entries(cfg.coverage)) {
    if (collector !== except && symbols.includes(symbol) && coversSymbol(statuses[collector], symbol))
      return true;
  }
  return false;
}

function lossReason(s: CollectorStatus | undefined): string {
  if (!s) return 'unknown';
  if (s.state === 'down' || s.state === 'failed') return s.reason;
  if (s.beat?.brokerConnected === false) return 'broker-ws-lost';
  return s.reason;
}

/** Where a gap of `symbol` starts: the collector's last tick, else its last beat, clamped (see file header). */
function gapStart(
  cov: CoverageState,
  cfg: CoverageConfig,
  beat: HeartbeatPayload | undefined,
  symbol: string,
  now: number,
) {
  let start = beat?.lastTickAt?.[symbol] ?? beat?.at ?? now;
  if (isSessionOpen(now, cfg.session)) start = Math.max(start, sessionOpenedAt(now, cfg.session));
  const prev = cov.lastClosed[symbol];
  if (prev) {
    start = Math.max(start, prev.end);
    if (start === prev.start) start += 1; // a zero-length predecessor: keep gap ids unique
  }
  return Math.min(start, now);
}

export type DownDraft = Omit<CollectorDownEvent, 'id'>;
export type UpDraft = Omit<CollectorUpEvent, 'id'>;

export interface CoverageStep {
  state: CoverageState;
  down?: DownDraft;
  up?: UpDraft;
  /** Gaps of another collector's outage closed by this one, which had no outage of its own. */
  closedGaps?: UpDraft['closed'];
}

/**
 * Re-judge one collector after its view or beat changed. A collector that stops covering (or dies
 * without ever covering) starts an outage: one COLLECTOR_DOWN. A covering collector closes every open
 * gap of the symbols it covers, and ends its outage: one COLLECTOR_UP.
 */
export function evaluateCollector(
  cov: CoverageState,
  cfg: CoverageConfig,
  collector: string,
  statuses: Readonly<Record<string, CollectorStatus>>,
  now: number,
): CoverageStep {
  const status = statuses[collector];
  const symbols = cfg.coverage[collector] ?? [];
  const wasCovering = cov.covering[collector] ?? false;
  if (isCovering(status)) {
    const beat = status!.beat!;
    const liveFrom = beat.liveSince ?? beat.at;
    const open = { ...cov.open };
    const lastClosed = { ...cov.lastClosed };
    const closed: UpDraft['closed'] = [];
    for (const symbol of symbols) {
      const gap = open[symbol];
      if (!gap || !coversSymbol(status, symbol)) continue;
      const end = Math.max(gap.start, liveFrom);
      closed.push({ gapId: gap.gapId, symbol, end });
      lastClosed[symbol] = { start: gap.start, end };
      delete open[symbol];
    }
    const state: CoverageState = {
      outage: { ...cov.outage, [collector]: false },
      covering: { ...cov.covering, [collector]: true },
      open,
      lastClosed,
    };
    if (!cov.outage[collector]) {
      // No outage of its own: no COLLECTOR_UP (it would not pair with a COLLECTOR_DOWN); the gaps
      // it covers again are closed one by one with GAP_CLOSED.
      if (closed.length === 0) return { state: wasCovering ? cov : state };
      return { state, closedGaps: closed };
    }
    return { state, up: { type: 'COLLECTOR_UP', collector, gapEnd: liveFrom, closed } };
  }
  const dead = status?.state === 'down' || status?.state === 'failed';
  const covering = { ...cov.covering, [collector]: false };
  if (cov.outage[collector] || !(wasCovering || dead)) {
    return { state: wasCovering ? { ...cov, covering } : cov };
  }
  const beat = status?.beat;
  const open = { ...cov.open };
  const gaps: GapRef[] = [];
  if (wasCovering) {
    for (const symbol of symbols) {
      if (open[symbol] || beat?.rejected?.[symbol] || symbolCovered(cfg, statuses, symbol, collector))
        continue;
      const start = gapStart(cov, cfg, beat, symbol, now);
      const gap: OpenGap = {
        gapId: `gap:${symbol}:${start}`,
        symbol,
        start,
        priority: cfg.volumes[symbol] ?? 0,
        collector,
      };
      open[symbol] = gap;
      gaps.push({ gapId: gap.gapId, symbol, start, priority: gap.priority });
    }
  }
  const down: DownDraft = {
    type: 'COLLECTOR_DOWN',
    collector,
    symbols: [...symbols],
    gapStart: gaps.length > 0 ? Math.min(...gaps.map((g) => g.start)) : (beat?.at ?? now),
    detectedAt: now,
    reason: lossReason(status),
    gaps,
  };
  return { state: { ...cov, outage: { ...cov.outage, [collector]: true }, covering, open }, down };
}

/**
 * Adopt what a previous supervisor left in the gap ledger (after a restart): its open gaps, which the
 * collector that covers their symbol again will close, and the end of each symbol's last closed gap,
 * so a new gap never overlaps an old one. A symbol that already has an open gap keeps it.
 */
export function seedGaps(
  cov: CoverageState,
  cfg: CoverageConfig,
  gaps: readonly (OpenGap & { end: number | null })[],
): CoverageState {
  const covered = new Set(Object.values(cfg.coverage).flat());
  const open = { ...cov.open };
  const lastClosed = { ...cov.lastClosed };
  // An open gap means its collector's COLLECTOR_DOWN is still unpaired: the outage goes on.
  const outage = { ...cov.outage };
  for (const { end, ...gap } of gaps) {
    if (!covered.has(gap.symbol)) continue;
    if (end === null) {
      if (!open[gap.symbol]) open[gap.symbol] = gap;
      if (gap.collector in cfg.coverage) outage[gap.collector] = true;
    } else if (!lastClosed[gap.symbol] || lastClosed[gap.symbol].end < end) {
      lastClosed[gap.symbol] = { start: gap.start, end };
    }
  }
  return { ...cov, outage, open, lastClosed };
}

/** Open gaps, sorted by symbol (for views, tests and the simulator). */
export function openGaps(cov: CoverageState): OpenGap[] {
  return Object.keys(cov.open)
    .sort()
    .map((s) => cov.open[s]);
}
