// The virtual clock: deadline order, FIFO among equal deadlines, exact chained deadlines,
// cancellation (including the heap's lazy purge) and SimulatedClock-compatible set/increment.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { VirtualClock } from '../../sim/kernel/virtualClock.ts';

const RUNS = Number(process.env.TG_PROPERTY_RUNS ?? 200);

describe('VirtualClock', () => {
  it('fires timers in deadline order and equal deadlines in scheduling order', () => {
    const clock = new VirtualClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a1@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a2@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`a3@${clock.now()}`), 10);
    clock.increment(100);
    expect(fired).toEqual(['a1@1010', 'a2@1010', 'a3@1010', 'b@1020', 'c@1030']);
    expect(clock.now()).toBe(1_100);
  });

  it('fires a timer armed inside a callback at that callback deadline plus its delay', () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    const tick = () => {
      fired.push(clock.now());
      if (fired.length < 5) clock.setTimeout(tick, 7);
    };
    clock.setTimeout(tick, 7);
    clock.increment(1_000);
    expect(fired).toEqual([7, 14, 21, 28, 35]);
  });

  it('runs a zero-delay timer armed at an instant after the timers already due at that instant', () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push('first');
      clock.setTimeout(() => fired.push(`zero@${clock.now()}`), 0);
    }, 5);
    clock.setTimeout(() => fired.push('second'), 5);
    clock.increment(5);
    expect(fired).toEqual(['first', 'second', 'zero@5']);
  });

  it('does not fire cleared timers and ignores stale or foreign handles', () => {
    const clock = new VirtualClock(0);
    const other = new VirtualClock(0);
    const fired: string[] = [];
    const a = clock.setTimeout(() => fired.push('a'), 10);
    const b = clock.setTimeout(() => fired.push('b'), 10);
    const foreign = other.setTimeout(() => fired.push('foreign'), 10);
    clock.clearTimeout(a);
    clock.clearTimeout(a);
    clock.clearTimeout(foreign);
    clock.clearTimeout(42);
    clock.clearTimeout(undefined);
    expect(clock.pending()).toBe(1);
    clock.increment(10);
    clock.clearTimeout(b);
    other.increment(10);
    expect(fired).toEqual(['b', 'foreign']);
    expect(clock.pending()).toBe(0);
  });

  it('reports the next deadline and steps one deadline at a time with advanceToNext', () => {
    const clock = new VirtualClock(500);
    const fired: number[] = [];
    expect(clock.nextDeadline()).toBeUndefined();
    const first = clock.setTimeout(() => fired.push(clock.now()), 40);
    clock.setTimeout(() => fired.push(clock.now()), 90);
    clock.clearTimeout(first);
    expect(clock.nextDeadline()).toBe(590);
    expect(clock.advanceToNext(580)).toBe(false);
    expect(clock.now()).toBe(580);
    expect(clock.advanceToNext()).toBe(true);
    expect(fired).toEqual([590]);
    expect(clock.advanceToNext()).toBe(false);
    expect(clock.now()).toBe(590);
  });

  it('refuses to travel back in time or schedule in the past', () => {
    const clock = new VirtualClock(100);
    expect(() => clock.set(99)).toThrowError(/Unable to travel back in time/);
    let error: unknown;
    try {
      clock.setTimeoutAt(50, () => {});
    } catch (e) {
      error = e;
    }
    expect(isTgError(error, 'TG_ERR_INTERNAL')).toBe(true);
  });

  it('matches a sorted-list model under random arming, clearing and stepping', () => {
    type Op = { kind: 'arm'; delay: number } | { kind: 'clear'; pick: number } | { kind: 'step'; by: number };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('arm' as const), delay: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('clear' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('step' as const), by: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops: Op[]) => {
        const clock = new VirtualClock(0);
        const fired: number[] = [];
        const model: { id: number; deadline: number }[] = [];
        const expected: number[] = [];
        const handles: unknown[] = [];
        let now = 0;
        for (const o of ops) {
          if (o.kind === 'arm') {
            const id = handles.length;
            handles.push(clock.setTimeout(() => fired.push(id), o.delay));
            model.push({ id, deadline: now + o.delay });
          } else if (o.kind === 'clear' && handles.length > 0) {
            const id = o.pick % handles.length;
            clock.clearTimeout(handles[id]);
            const i = model.findIndex((m) => m.id === id);
            if (i >= 0) model.splice(i, 1);
          } else if (o.kind === 'step') {
            now += o.by;
            model.sort((x, y) => x.deadline - y.deadline || x.id - y.id);
            while (model.length > 0 && model[0].deadline <= now) expected.push(model.shift()!.id);
            clock.increment(o.by);
          }
        }
        expect(fired).toEqual(expected);
        expect(clock.pending()).toBe(model.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps order through the lazy purge of many cancelled timers', () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    const handles = Array.from({ length: 5_000 }, (_, i) => clock.setTimeout(() => fired.push(i), i % 97));
    handles.forEach((h, i) => {
      if (i % 3 !== 0) clock.clearTimeout(h);
    });
    clock.increment(100);
    const kept = [...Array(5_000).keys()].filter((i) => i % 3 === 0);
    expect(fired).toEqual([...kept].sort((a, b) => (a % 97) - (b % 97) || a - b));
  });
});
