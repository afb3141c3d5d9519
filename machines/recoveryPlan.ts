// Back-fill planning for one gap (DESIGN section 7, INTERNALS "Back-fill"): which minutes are due,
// the next chunk to request, how a broker page counts, and how recoveredUntil advances over chunks
// that complete out of order. Pure; minutes are epoch ms of the minute's start.
import { MINUTE_MS, kstDay, minuteOf } from './marketHours.ts';
import type { Bar } from './types.ts';

export interface PlanOptions {
  /** Minutes per request (the broker's page size; KIS 30). */
  barsPerRequest: number;
  /** Extra wait after a minute ends before its bar counts as final. */
  settleMs: number;
}

export interface Chunk {
  from: number;
  to: number;
}

/** Minute m is complete once now >= m + 60 s (+ settle); this is the newest such minute. */
export function lastCompleteMinute(now: number, settleMs = 0): number {
  return minuteOf(now - settleMs) - MINUTE_MS;
}

/** When minute m becomes complete. */
export function completesAt(minute: number, settleMs = 0): number {
  return minute + MINUTE_MS + settleMs;
}

/** Minutes of a closed gap, boundaries included; null while open. */
export function gapMinuteCount(gap: { start: number; end: number | null }): number | null {
  if (gap.end === null) return null;
  return (minuteOf(gap.end) - minuteOf(gap.start)) / MINUTE_MS + 1;
}

export interface Cursor {
  start: number;
  end: number | null;
  /** First minute not yet handed to a request. */
  nextMinute: number;
  /** Whether this run already sent a request for the gap (the first one goes out at once). */
  requested: boolean;
}

export type NextStep = { kind: 'chunk'; chunk: Chunk } | { kind: 'wait'; until: number } | { kind: 'idle' };

/**
 * What to do next for a gap at `now`. The first request goes out at once even if its minutes are not
 * complete yet (recovery starts on detection). After that a closed gap fetches as soon as a minute is
 * complete and otherwise waits for exactly that moment; an open gap fetches full chunks of complete
 * minutes (it may last for hours) and is re-planned when it closes.
 */
export function nextStep(c: Cursor, now: number, o: PlanOptions): NextStep {
  const last = c.end !== null ? minuteOf(c.end) : minuteOf(now);
  const from = c.nextMinute;
  if (from > last)
    return c.end !== null
      ? { kind: 'idle' }
      : { kind: 'wait', until: completesAt(from + (o.barsPerRequest - 1) * MINUTE_MS, o.settleMs) };
  const to = Math.min(from + (o.barsPerRequest - 1) * MINUTE_MS, last);
  if (!c.requested) return { kind: 'chunk', chunk: { from, to } };
  const complete = lastCompleteMinute(now, o.settleMs);
  if (c.end !== null) {
    return from <= complete
      ? { kind: 'chunk', chunk: { from, to } }
      : { kind: 'wait', until: completesAt(from, o.settleMs) };
  }
  const fullTo = from + (o.barsPerRequest - 1) * MINUTE_MS;
  return fullTo <= complete
    ? { kind: 'chunk', chunk: { from, to: fullTo } }
    : { kind: 'wait', until: completesAt(fullTo, o.settleMs) };
}

/** Chunks a gap could send right now, up to `max` (a closed gap may have several ready at once). */
export function countChunks(c: Cursor, now: number, o: PlanOptions, max: number): number {
  let n = 0;
  let cursor = c;
  while (n < max) {
    const step = nextStep(cursor, now, o);
    if (step.kind !== 'chunk') break;
    n++;
    cursor = { ...cursor, nextMinute: step.chunk.to + MINUTE_MS, requested: true };
  }
  return n;
}

/** Back-off after the n-th failed (non-outage) request of a gap: 1 s doubling, at most 30 s. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempts - 1));
}

export function unreachableReason(minutes: number, from: number): string {
  return (
    `${minutes} minute(s) from ${new Date(from).toISOString()} are outside the broker's history ` +
    `(its minute bars cover today only)`
  );
}

export interface PageOutcome {
  /** Bars of the chunk's complete minutes, to upsert (a partial bar would stick: backfill wins). */
  bars: Bar[];
  /** Newest minute of the chunk that now counts as recovered; null when none does. */
  completeThrough: number | null;
  /** Minutes of the chunk the broker cannot return (a previous day for a today-only endpoint). */
  unreachable: number;
  /** Oldest unreachable minute, for the reason text. */
  unreachableFrom: number | null;
}

/**
 * How a page answers a chunk requested at `fetchedAt`. Minutes not complete at fetch time do not
 * count (they are fetched again). A complete minute without a bar had no trades and counts as done,
 * unless the broker says it has nothing older (`exhausted`) and the minute lies on an earlier day than
 * the request: today's endpoint cannot return it, so it is unreachable, not empty.
 */
export function evaluatePage(
  page: { bars: Bar[]; exhausted: boolean },
  chunk: Chunk,
  fetchedAt: number,
  settleMs = 0,
): PageOutcome {
  const through = Math.min(chunk.to, lastCompleteMinute(fetchedAt, settleMs));
  const completeThrough = through >= chunk.from ? through : null;
  const bars = page.bars.filter((b) => b.minute >= chunk.from && b.minute <= through);
  let unreachable = 0;
  let unreachableFrom: number | null = null;
  if (page.exhausted && completeThrough !== null) {
    const oldest = page.bars.reduce((min, b) => Math.min(min, b.minute), Infinity);
    const today = kstDay(fetchedAt);
    for (let m = chunk.from; m <= completeThrough && m < oldest; m += MINUTE_MS) {
      if (kstDay(m) === today) continue;
      unreachable++;
      unreachableFrom ??= m;
    }
  }
  return { bars, completeThrough, unreachable, unreachableFrom };
}

/** Ledger progress: recoveredUntil plus chunks done beyond it, as sorted disjoint [from, to] ranges. */
export interface Progress {
  recoveredUntil: number;
  done: Chunk[];
}

/** Record [from, to] as done and advance recoveredUntil over every contiguous done range. */
export function markDone(p: Progress, from: number, to: number): Progress {
  if (to < from) return p;
  const ranges = [...p.done, { from, to }].sort((a, b) => a.from - b.from);
  let recoveredUntil = p.recoveredUntil;
  const done: Chunk[] = [];
  for (const r of ranges) {
    if (r.to < recoveredUntil) continue;
    if (r.from <= recoveredUntil) {
      recoveredUntil = r.to + MINUTE_MS;
      continue;
    }
    const prev = done[done.length - 1];
    if (prev && r.from <= prev.to + MINUTE_MS) prev.to = Math.max(prev.to, r.to);
    else done.push({ ...r });
  }
  // Ranges kept aside may have become contiguous with the advanced recoveredUntil.
  while (done.length && done[0].from <= recoveredUntil) {
    recoveredUntil = Math.max(recoveredUntil, done[0].to + MINUTE_MS);
    done.shift();
  }
  return { recoveredUntil, done };
}

/** A gap is finished when it is closed and every one of its minutes is behind recoveredUntil. */
export function isFinished(gap: { end: number | null }, recoveredUntil: number): boolean {
  return gap.end !== null && recoveredUntil > minuteOf(gap.end);
}
