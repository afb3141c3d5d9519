// Back-fill planning, pure: due chunks, waits, page evaluation and ledger progress over chunks that
// complete out of order.
import { describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../machines/marketHours.ts';
import {
  evaluatePage,
  lastCompleteMinute,
  markDone,
  nextStep,
  type Cursor,
} from '../../machines/recoveryPlan.ts';
import { at, truthBar } from './recoveryHarness.ts';

const opts = { barsPerRequest: 30, settleMs: 0 };
const M = MINUTE_MS;

describe('recovery planning', () => {
  it('treats a minute as complete only once it has fully passed', () => {
    expect(lastCompleteMinute(at('09:11'))).toBe(at('09:10'));
    expect(lastCompleteMinute(at('09:11') - 1)).toBe(at('09:09'));
  });

  it('sends the first chunk at once, even before its minutes complete', () => {
    const c: Cursor = { start: at('09:10') + 5000, end: null, nextMinute: at('09:10'), requested: false };
    expect(nextStep(c, at('09:10') + 6000, opts)).toEqual({
      kind: 'chunk',
      chunk: { from: at('09:10'), to: at('09:10') },
    });
  });

  it('waits on an open gap until a full chunk is complete', () => {
    const c: Cursor = { start: at('09:10'), end: null, nextMinute: at('09:11'), requested: true };
    expect(nextStep(c, at('09:20'), opts)).toEqual({ kind: 'wait', until: at('09:41') });
    expect(nextStep(c, at('09:41'), opts)).toEqual({
      kind: 'chunk',
      chunk: { from: at('09:11'), to: at('09:40') },
    });
  });

  it('fetches a closed gap as soon as its next minute completes, in chunks of 30', () => {
    const c: Cursor = { start: at('09:00'), end: at('10:05') + 1, nextMinute: at('09:00'), requested: true };
    expect(nextStep(c, at('10:30'), opts)).toEqual({
      kind: 'chunk',
      chunk: { from: at('09:00'), to: at('09:29') },
    });
    const tail: Cursor = { ...c, nextMinute: at('10:05') };
    expect(nextStep(tail, at('10:05') + 30_000, opts)).toEqual({ kind: 'wait', until: at('10:06') });
    expect(nextStep({ ...c, nextMinute: at('10:06') }, at('10:30'), opts)).toEqual({ kind: 'idle' });
  });

  it('counts only complete minutes of a page, and bars outside the chunk are ignored', () => {
    const bars = [at('09:12'), at('09:11'), at('09:10'), at('09:09')].map((m) => truthBar('005930', m));
    const out = evaluatePage(
      { bars, exhausted: false },
      { from: at('09:10'), to: at('09:12') },
      at('09:12') + 30_000,
    );
    expect(out.completeThrough).toBe(at('09:11'));
    expect(out.bars.map((b) => b.minute)).toEqual([at('09:11'), at('09:10')]);
    expect(out.unreachable).toBe(0);
  });

  it('calls minutes of an earlier day behind an exhausted page unreachable, same-day ones empty', () => {
    const prevDay = at('09:00') - 10 * 3600_000;
    const out = evaluatePage(
      { bars: [], exhausted: true },
      { from: prevDay, to: prevDay + 2 * M },
      at('09:30'),
    );
    expect(out.unreachable).toBe(3);
    expect(out.unreachableFrom).toBe(prevDay);
    const sameDay = evaluatePage(
      { bars: [], exhausted: true },
      { from: at('08:50'), to: at('08:52') },
      at('09:30'),
    );
    expect(sameDay.unreachable).toBe(0);
    expect(sameDay.completeThrough).toBe(at('08:52'));
  });

  it('advances recoveredUntil only over contiguous done chunks', () => {
    let p = { recoveredUntil: at('09:00'), done: [] as { from: number; to: number }[] };
    p = markDone(p, at('09:30'), at('09:59'));
    expect(p.recoveredUntil).toBe(at('09:00'));
    p = markDone(p, at('10:00'), at('10:10'));
    expect(p.done).toEqual([{ from: at('09:30'), to: at('10:10') }]);
    p = markDone(p, at('09:00'), at('09:29'));
    expect(p).toEqual({ recoveredUntil: at('10:11'), done: [] });
    expect(markDone(p, at('09:05'), at('09:06'))).toEqual(p);
  });
});
