// GapIntake against a counting in-memory Store: an outage of N gaps reaches the ledger in a constant
// number of store calls (each a PostgreSQL round trip live), and the close semantics are unchanged.
import { describe, expect, it } from 'vitest';
import { GapIntake } from '../../actors/recoveryIntake.ts';
import { kstTime, MINUTE_MS, minuteOf } from '../../machines/marketHours.ts';
import type { CollectorDownEvent, CollectorUpEvent, GapRef, TgEvent } from '../../machines/types.ts';
import { MemoryEventBus, MemoryStore } from '../../ports/memory/index.ts';
import type { Store } from '../../ports/store.ts';
import { ManualClock } from '../contracts/manualClock.ts';

const T0 = kstTime('20250919', '09:00');
const COLLECTOR = 'collector:kis-1';

/** The store with every port call counted by method: each one is a round trip to the database. */
function countingStore(store: Store): { store: Store; calls: Map<string, number>; total(): number } {
  const calls = new Map<string, number>();
  const counted = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(key), (calls.get(String(key)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counted, calls, total: () => [...calls.values()].reduce((a, b) => a + b, 0) };
}

function world(volumes = new Map<string, number>()) {
  const clock = new ManualClock(T0);
  const memory = new MemoryStore({ clock });
  const counting = countingStore(memory);
  const intake = new GapIntake({
    store: counting.store,
    eventBus: new MemoryEventBus({ clock }),
    consumer: 'recovery-worker:1',
    volumes: () => volumes,
  });
  return { memory, counting, intake };
}

const refs = (n: number): GapRef[] =>
  Array.from({ length: n }, (_, i) => {
    const symbol = String(100_000 + i);
    const start = T0 + i * 137;
    return { gapId: `gap:${symbol}:${start}`, symbol, start, priority: n - i };
  });

const down = (id: string, gaps: GapRef[]): CollectorDownEvent => ({
  type: 'COLLECTOR_DOWN',
  id,
  collector: COLLECTOR,
  symbols: gaps.map((g) => g.symbol),
  gapStart: Math.min(...gaps.map((g) => g.start)),
  detectedAt: T0 + 5000,
  reason: 'heartbeat-timeout',
  gaps,
});

const up = (id: string, closed: { gapId: string; end: number }[]): CollectorUpEvent => ({
  type: 'COLLECTOR_UP',
  id,
  collector: COLLECTOR,
  gapEnd: Math.max(...closed.map((c) => c.end)),
  closed: closed.map((c) => ({ ...c, symbol: c.gapId.split(':')[1] })),
});

describe('GapIntake', () => {
  it('writes a COLLECTOR_DOWN of 500 gaps to the ledger in a constant number of store calls', async () => {
    const w = world();
    const gaps = refs(500);
    const fx = await w.intake.apply(down('COLLECTOR_DOWN:1', gaps));
    // One call per gap (or two: open + read back) took seconds against PostgreSQL.
    expect(w.counting.total()).toBeLessThanOrEqual(2);
    expect(Object.fromEntries(w.counting.calls)).toEqual({ openGaps: 1 });
    expect(fx.gaps.map((g) => g.id)).toEqual(gaps.map((g) => g.gapId));
    expect(fx.gaps[7]).toEqual({
      id: gaps[7].gapId,
      collector: COLLECTOR,
      symbol: gaps[7].symbol,
      start: gaps[7].start,
      end: null,
      status: 'open',
      priority: gaps[7].priority,
      recoveredUntil: minuteOf(gaps[7].start),
      attempts: 0,
      reason: null,
    });
    expect(w.memory.gapsNow()).toHaveLength(500);
  });

  it('closes the gaps of a COLLECTOR_UP of 500 closes in a constant number of store calls', async () => {
    const w = world();
    const gaps = refs(500);
    await w.intake.apply(down('COLLECTOR_DOWN:1', gaps));
    w.counting.calls.clear();
    const closes = gaps.map((g, i) => ({ gapId: g.gapId, end: T0 + MINUTE_MS + i }));
    const fx = await w.intake.apply(up('COLLECTOR_UP:1', closes));
    expect(w.counting.total()).toBeLessThanOrEqual(2);
    expect(fx.closed).toEqual(closes.map((c) => ({ id: c.gapId, end: c.end })));
  });

  it('reports the rows as stored when a replayed open finds progressed gaps', async () => {
    const w = world(new Map([['100001', 42]]));
    const gaps = refs(3).map((g) => ({ ...g, priority: 0 })); // priority from the volumes
    await w.intake.apply(down('COLLECTOR_DOWN:1', gaps));
    await w.memory.updateGap(gaps[1].gapId, { status: 'recovering', attempts: 3 });
    // Same gaps under another event id (a restarted supervisor republishing): nothing is overwritten.
    const fx = await w.intake.apply(down('COLLECTOR_DOWN:2', gaps));
    expect(fx.gaps.map((g) => [g.id, g.status, g.attempts, g.priority])).toEqual([
      [gaps[0].gapId, 'open', 0, 0],
      [gaps[1].gapId, 'recovering', 3, 42],
      [gaps[2].gapId, 'open', 0, 0],
    ]);
  });

  it('reports the end the ledger kept: the first close wins', async () => {
    const w = world();
    const [g] = refs(1);
    await w.intake.apply(down('COLLECTOR_DOWN:1', [g]));
    const first = await w.intake.apply(up('COLLECTOR_UP:1', [{ gapId: g.gapId, end: T0 + 60_000 }]));
    const gapClosed: TgEvent = {
      type: 'GAP_CLOSED',
      id: 'GAP_CLOSED:1',
      gapId: g.gapId,
      symbol: g.symbol,
      end: T0 + 90_000,
    };
    const second = await w.intake.apply(gapClosed);
    expect(first.closed).toEqual([{ id: g.gapId, end: T0 + 60_000 }]);
    expect(second.closed).toEqual([{ id: g.gapId, end: T0 + 60_000 }]);
  });

  it('does not remember a close that found no ledger row, so its stream copy applies it later', async () => {
    const w = world();
    const [known, late] = refs(2);
    await w.intake.apply(down('COLLECTOR_DOWN:1', [known]));
    const event = up('COLLECTOR_UP:1', [
      { gapId: known.gapId, end: T0 + 60_000 },
      { gapId: late.gapId, end: T0 + 61_000 },
    ]);
    const before = await w.intake.apply(event);
    expect(before.closed).toEqual([{ id: known.gapId, end: T0 + 60_000 }]);
    await w.intake.apply(down('COLLECTOR_DOWN:2', [late]));
    const again = await w.intake.apply(event);
    expect(again.closed).toEqual([
      { id: known.gapId, end: T0 + 60_000 },
      { id: late.gapId, end: T0 + 61_000 },
    ]);
    // Complete now: a third copy is a duplicate and costs no store call.
    w.counting.calls.clear();
    expect(await w.intake.apply(event)).toEqual({ gaps: [], closed: [] });
    expect(w.counting.total()).toBe(0);
  });

  it('makes no store call for an outage without gaps (redundant coverage)', async () => {
    const w = world();
    const fx = await w.intake.apply({ ...down('COLLECTOR_DOWN:1', refs(1)), gaps: [] });
    expect(fx.gaps).toEqual([]);
    expect(w.counting.total()).toBe(0);
  });
});
