// Behaviour of the in-memory adapters beyond the port contracts: event-bus delivery details,
// the compact tick table (intervals, stats), inspection methods the simulator report relies on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kstTime, MINUTE_MS } from '../../machines/marketHours.ts';
import type { TgEvent } from '../../machines/types.ts';
import {
  compareStreamIds,
  CoveredIntervals,
  MemoryEventBus,
  MemorySpools,
  MemoryStore,
  MemoryTickBuffer,
  StreamIds,
} from '../../ports/memory/index.ts';
import { ManualClock } from './manualClock.ts';
import { tape, toBatches } from './ticks.ts';

const PROPERTY_RUNS = Number(process.env.TG_PROPERTY_RUNS ?? 200);
const DAY = '20250102';
const M0 = kstTime(DAY, '09:00');

const event = (n: number): TgEvent => ({
  type: 'COMPONENT_STATE',
  id: `e${n}`,
  actor: 'writer',
  from: 'healthy',
  to: 'down',
  at: n,
  reason: 'test',
});

describe('MemoryEventBus', () => {
  it('does not deliver to a subscriber added right after publish, before delivery ran', async () => {
    const bus = new MemoryEventBus({ clock: new ManualClock() });
    const late: TgEvent[] = [];
    const publishing = bus.publish(event(1));
    await bus.subscribe((e) => late.push(e));
    await publishing;
    await new Promise((r) => setImmediate(r));
    expect(late).toEqual([]);
  });

  it('keeps delivering to other subscribers when one handler throws', async () => {
    const bus = new MemoryEventBus({ clock: new ManualClock() });
    const got: string[] = [];
    await bus.subscribe(() => {
      throw new Error('bad handler');
    });
    await bus.subscribe((e) => got.push(e.id));
    await bus.publish(event(1));
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(['e1']);
  });

  it('ends a connection’s subscriptions when it closes, like a dead process’s Redis connection', async () => {
    const bus = new MemoryEventBus({ clock: new ManualClock() });
    const conn = bus.connect();
    const got: string[] = [];
    await conn.subscribe((e) => got.push(e.id));
    await conn.publish(event(1));
    await new Promise((r) => setImmediate(r));
    const publishing = bus.publish(event(2));
    conn.close();
    await publishing;
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(['e1']);
    expect(bus.subscriberCount()).toBe(0);
  });

  it('records consumer, delivery time and delivery count of pending entries', async () => {
    const clock = new ManualClock();
    const bus = new MemoryEventBus({ clock });
    await bus.ensureGroup('g');
    await bus.publish(event(1));
    await bus.readGroup('g', 'a', 1);
    await clock.advance(50);
    await bus.claim('g', 'b', 50, 1);
    expect(bus.pendingDetails('g')).toEqual([
      { entryId: '0-0', consumer: 'b', deliveredAt: 50, deliveries: 2 },
    ]);
    expect(bus.entries().map((e) => e.event.id)).toEqual(['e1']);
  });
});

describe('StreamIds', () => {
  it('increase strictly when the clock stands still or steps back', () => {
    const ids = new StreamIds();
    const seq = [ids.next(5), ids.next(5), ids.next(3), ids.next(6)];
    expect(seq).toEqual(['5-0', '5-1', '5-2', '6-0']);
    for (let i = 1; i < seq.length; i++) expect(compareStreamIds(seq[i - 1], seq[i])).toBeLessThan(0);
    expect(compareStreamIds('10-0', '9-5')).toBeGreaterThan(0);
  });
});

describe('MemoryTickBuffer', () => {
  it('delivers thousands of entries exactly once and in order across its internal compaction', async () => {
    const buf = new MemoryTickBuffer({ clock: new ManualClock() });
    const n = 3000;
    for (let i = 1; i <= n; i++)
      await buf.append('k', toBatches('A', DAY, tape(M0, [{ dt: i, volume: 1, price: 1 }])));
    const seen: string[] = [];
    for (;;) {
      const read = await buf.read('w', 97);
      if (read.length === 0) break;
      seen.push(...read.map((e) => e.entryId));
      await buf.ack(read);
    }
    expect(seen).toHaveLength(n);
    expect(new Set(seen).size).toBe(n);
    for (let i = 1; i < n; i++) expect(compareStreamIds(seen[i - 1], seen[i])).toBeLessThan(0);
    expect(buf.backlogNow()).toBe(0);
    expect(buf.stats()).toMatchObject({ appendedEntries: n, appendedTicks: n, ackedEntries: n });
  });
});

describe('MemorySpools', () => {
  it('hands out the same spool for a collector name, so it outlives the collector process', async () => {
    const spools = new MemorySpools();
    await spools
      .for('collector:kis-1')
      .append(toBatches('A', DAY, tape(M0, [{ dt: 1, volume: 1, price: 1 }])));
    expect(await spools.for('collector:kis-1').size()).toBe(1);
    expect(await spools.for('collector:kis-2').size()).toBe(0);
    expect(spools.names()).toEqual(['collector:kis-1', 'collector:kis-2']);
  });
});

describe('CoveredIntervals', () => {
  it('property: matches a naive set of covered volume units, whatever the insertion order', () => {
    const tick = fc.record({ cum: fc.integer({ min: 1, max: 60 }), volume: fc.integer({ min: 1, max: 8 }) });
    fc.assert(
      fc.property(fc.array(tick, { maxLength: 60 }), (ticks) => {
        const cov = new CoveredIntervals();
        const units = new Set<number>();
        let stored = 0;
        for (const { cum, volume } of ticks) {
          const lo = cum - volume;
          const fresh = Array.from({ length: volume }, (_, k) => lo + 1 + k).filter((u) => !units.has(u));
          const outcome = cov.add(cum, volume);
          expect(outcome).toBe(fresh.length > 0 ? 1 : 0);
          for (const u of fresh) units.add(u);
          if (fresh.length > 0) stored++;
          expect(cov.covers(lo, cum)).toBe(true);
        }
        expect(cov.count()).toBe(stored);
        expect(cov.coveredVolume()).toBe(units.size);
        const intervals = cov.intervals();
        for (let i = 1; i < intervals.length; i++)
          expect(intervals[i][0]).toBeGreaterThan(intervals[i - 1][1]);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('rejects ticks without a positive finite volume as invalid, not duplicates', () => {
    const cov = new CoveredIntervals();
    expect([cov.add(10, 0), cov.add(10, -1), cov.add(Number.NaN, 1), cov.add(10, Infinity)]).toEqual([
      -1, -1, -1, -1,
    ]);
    expect(cov.count()).toBe(0);
  });
});

describe('MemoryStore inspection', () => {
  const trades = tape(M0, [
    { dt: 1000, volume: 10, price: 100 },
    { dt: 1000, volume: 5, price: 101 },
    { dt: 1000, volume: 5, price: 99 },
    { dt: 60_000, volume: 3, price: 102 },
  ]);

  it('reports covered volume, holes as separate intervals, and tick counts', async () => {
    const store = new MemoryStore({ clock: new ManualClock() });
    await store.writeTicks('collector:kis-1', toBatches('S', DAY, [trades[0], trades[3]]));
    expect(store.coveredIntervals('S', DAY)).toEqual([
      [0, 10],
      [20, 23],
    ]);
    expect(store.coveredVolume('S', DAY)).toBe(13);
    await store.writeTicks('collector:kiwoom-1', toBatches('S', DAY, [trades[2], trades[1], trades[0]]));
    expect(store.coveredIntervals('S', DAY)).toEqual([[0, 23]]);
    expect(store.coveredVolume('S', DAY)).toBe(23);
    expect(store.tickCount('S')).toBe(4);
    expect(store.tickCount('nope')).toBe(0);
    expect(store.tickStats()).toEqual({
      inserted: 4,
      duplicatesSkipped: 1,
      invalidSkipped: 0,
      insertedBy: { 'collector:kis-1': 2, 'collector:kiwoom-1': 2 },
    });
  });

  it('skips malformed ticks without storing or counting them as duplicates', async () => {
    const store = new MemoryStore({ clock: new ManualClock() });
    const bad = {
      symbol: 'S',
      day: DAY,
      ts: [M0, M0, Number.NaN],
      cumVolume: [5, 6, 7],
      price: [1, 1, 1],
      volume: [0, 1, 1],
    };
    expect(await store.writeTicks('k', [bad])).toEqual({ inserted: 1, duplicates: 0 });
    expect(store.tickStats().invalidSkipped).toBe(2);
    expect(store.allBars().get('S')).toEqual([
      { symbol: 'S', minute: M0, open: 1, high: 1, low: 1, close: 1, volume: 1, source: 'ticks' },
    ]);
  });

  it('lists all bars per symbol sorted by symbol and minute', async () => {
    const store = new MemoryStore({ clock: new ManualClock() });
    await store.writeTicks('k', toBatches('S', DAY, [...trades].reverse()));
    await store.upsertBars(
      [{ symbol: 'A', minute: M0, open: 1, high: 1, low: 1, close: 1, volume: 1 }],
      'backfill',
    );
    const all = store.allBars();
    expect([...all.keys()]).toEqual(['A', 'S']);
    expect(all.get('S')!.map((b) => b.minute)).toEqual([M0, M0 + MINUTE_MS]);
  });

  it('replaces a tick-built bar with an upserted ticks bar, and later ticks only widen it', async () => {
    const store = new MemoryStore({ clock: new ManualClock() });
    await store.writeTicks('k', toBatches('S', DAY, trades.slice(0, 1)));
    const upserted = { symbol: 'S', minute: M0, open: 50, high: 60, low: 40, close: 55, volume: 7 };
    await store.upsertBars([upserted], 'ticks');
    await store.upsertBars([upserted], 'ticks');
    expect(await store.bars('S', M0, M0 + MINUTE_MS)).toEqual([{ ...upserted, source: 'ticks' }]);
    await store.writeTicks('k', toBatches('S', DAY, trades.slice(1, 2)));
    expect(await store.bars('S', M0, M0 + MINUTE_MS)).toEqual([
      { ...upserted, high: 101, volume: 12, source: 'ticks' },
    ]);
  });
});
