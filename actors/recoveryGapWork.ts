// In-memory state of one gap while the recovery worker works on it: ledger progress, the next minute
// to request, chunks to resend, and the single timer that wakes the gap when its next minute is due.
import { minuteOf } from '../machines/marketHours.ts';
import type { Chunk, Cursor, Progress } from '../machines/recoveryPlan.ts';
import type { Gap } from '../machines/types.ts';
import type { Clock } from '../ports/clock.ts';

export interface GapWork {
  gap: Gap;
  progress: Progress;
  /** First minute not yet handed to a request. */
  nextMinute: number;
  requested: boolean;
  inFlight: number;
  /** Chunks to send again (a rejection or a failed request); first in, first out. */
  retry: Chunk[];
  retryAt: number;
  wake: unknown;
  wakeAt: number;
  unreachable: number;
  unreachableFrom: number;
  attempts: number;
  /** Ledger writes of this gap, chained so they land in order. */
  writes: Promise<void>;
  finished: boolean;
}

/** Work resumes at the ledger's recoveredUntil (never before the gap's first minute). */
export function createGapWork(gap: Gap): GapWork {
  const first = minuteOf(gap.start);
  const recoveredUntil = Math.max(first, gap.recoveredUntil || first);
  return {
    gap: { ...gap },
    progress: { recoveredUntil, done: [] },
    nextMinute: recoveredUntil,
    requested: false,
    inFlight: 0,
    retry: [],
    retryAt: 0,
    wake: undefined,
    wakeAt: Infinity,
    unreachable: 0,
    unreachableFrom: Infinity,
    attempts: gap.attempts,
    writes: Promise.resolve(),
    finished: false,
  };
}

export function cursor(gw: GapWork): Cursor {
  return { start: gw.gap.start, end: gw.gap.end, nextMinute: gw.nextMinute, requested: gw.requested };
}

/** One timer per gap: an earlier pending wake is kept, a later one is replaced. */
export function armWake(clock: Clock, gw: GapWork, at: number, fire: () => void): void {
  if (gw.wake !== undefined && gw.wakeAt <= at) return;
  clearWake(clock, gw);
  gw.wakeAt = at;
  gw.wake = clock.setTimeout(
    () => {
      gw.wake = undefined;
      gw.wakeAt = Infinity;
      fire();
    },
    Math.max(0, at - clock.now()),
  );
}

export function clearWake(clock: Clock, gw: GapWork): void {
  if (gw.wake !== undefined) clock.clearTimeout(gw.wake);
  gw.wake = undefined;
  gw.wakeAt = Infinity;
}
