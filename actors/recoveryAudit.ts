// The data audit: minutes missing from bars_1m for active symbols become closed gaps, so losses no
// process noticed (a writer bug, a manual delete) are back-filled too. Bounded per run.
import { MINUTE_MS } from '../machines/marketHours.ts';
import type { Gap } from '../machines/types.ts';
import type { Store } from '../ports/store.ts';

/** At most one day of minutes per symbol and this many gaps per run. */
export const AUDIT_MAX_SPAN_MS = 24 * 60 * MINUTE_MS;
export const AUDIT_MAX_GAPS = 1000;

/** Gaps (id `gap:{symbol}:{first missing minute}`) for runs of missing minutes in [from, to). */
export async function auditGaps(
  store: Store,
  volumes: Map<string, number>,
  symbols: string[],
  fromMinute: number,
  toMinute: number,
  isTradingMinute: (minute: number) => boolean = () => true,
): Promise<Gap[]> {
  const from = Math.max(fromMinute, toMinute - AUDIT_MAX_SPAN_MS);
  const gaps: Gap[] = [];
  if (!(toMinute > from)) return gaps;
  for (const symbol of [...new Set(symbols)].sort()) {
    const missing = (await store.missingMinutes(symbol, from, toMinute)).filter(isTradingMinute);
    let runStart: number | undefined;
    let runEnd = 0;
    const flush = () => {
      if (runStart === undefined) return;
      gaps.push({
        id: `gap:${symbol}:${runStart}`,
        collector: 'audit',
        symbol,
        start: runStart,
        end: runEnd,
        status: 'pending',
        priority: volumes.get(symbol) ?? 0,
        recoveredUntil: runStart,
        attempts: 0,
        reason: null,
      });
      runStart = undefined;
    };
    for (const m of missing) {
      if (runStart !== undefined && m !== runEnd + MINUTE_MS) flush();
      if (runStart === undefined) runStart = m;
      runEnd = m;
      if (gaps.length >= AUDIT_MAX_GAPS) return gaps;
    }
    flush();
    if (gaps.length >= AUDIT_MAX_GAPS) return gaps.slice(0, AUDIT_MAX_GAPS);
  }
  return gaps;
}
