// Store contract: idempotent tick writes keyed by (symbol, day, cumVolume), order-independent bars
// from ticks, back-fill bars that replace tick bars and are never overwritten by ticks, gap ledger
// (its batch calls in gapBatch.contract.ts).
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kstTime, MINUTE_MS } from '../../machines/marketHours.ts';
import type { Bar } from '../../machines/types.ts';
import type { Store, StoredBar } from '../../ports/store.ts';
import { faultsContract } from './faults.contract.ts';
import { gapBatchContract } from './gapBatch.contract.ts';
import { gapFixture } from './gapFixture.ts';
import type { ContractOptions, Harness, MakeHarness } from './harness.ts';
import { referenceBars, tape, toBatches, type Trade } from './ticks.ts';

const PROPERTY_RUNS = Number(process.env.TG_PROPERTY_RUNS ?? 100);
const DAY = '20250102';
const M0 = kstTime(DAY, '09:00');
const M1 = M0 + MINUTE_MS;

/** Hand-made trades: minute M0 has four trades, M1 one. */
const TRADES: Trade[] = [
  { ts: M0 + 1000, cumVolume: 10, price: 100, volume: 10 },
  { ts: M0 + 2000, cumVolume: 15, price: 103, volume: 5 },
  { ts: M0 + 3000, cumVolume: 18, price: 98, volume: 3 },
  { ts: M0 + 59_000, cumVolume: 20, price: 101, volume: 2 },
  { ts: M1, cumVolume: 27, price: 102, volume: 7 },
];
const BAR_M0: StoredBar = {
  symbol: 'S',
  minute: M0,
  open: 100,
  high: 103,
  low: 98,
  close: 101,
  volume: 20,
  source: 'ticks',
};
const BAR_M1: StoredBar = {
  symbol: 'S',
  minute: M1,
  open: 102,
  high: 102,
  low: 102,
  close: 102,
  volume: 7,
  source: 'ticks',
};

const bar = (minute: number, price: number, volume: number): Bar => ({
  symbol: 'S',
  minute,
  open: price,
  high: price + 1,
  low: price - 1,
  close: price,
  volume,
});

const gap = gapFixture(M0);

export function storeContract(name: string, make: MakeHarness<Store>, options: ContractOptions): void {
  describe(`${name}: Store contract`, () => {
    let h: Harness<Store>;
    let store: Store;
    beforeEach(async () => {
      h = await make();
      store = h.port;
      await store.migrate();
    });
    afterEach(() => h.cleanup());

    it('migrates idempotently', async () => {
      await store.migrate();
      await store.ping();
    });

    it('stores the same ticks once and counts the re-write as duplicates', async () => {
      expect(await store.writeTicks('collector:kis-1', toBatches('S', DAY, TRADES))).toEqual({
        inserted: 5,
        duplicates: 0,
      });
      expect(await store.writeTicks('collector:kis-1', toBatches('S', DAY, TRADES, [2]))).toEqual({
        inserted: 0,
        duplicates: 5,
      });
      // A second feed of the same symbol overlapping the first: only its new trade is inserted.
      const more = [...TRADES.slice(3), { ts: M1 + 1000, cumVolume: 30, price: 104, volume: 3 }];
      expect(await store.writeTicks('collector:kiwoom-1', toBatches('S', DAY, more))).toEqual({
        inserted: 1,
        duplicates: 2,
      });
      expect(await store.bars('S', M0, M1 + MINUTE_MS)).toEqual([
        BAR_M0,
        { ...BAR_M1, high: 104, close: 104, volume: 10 },
      ]);
    });

    it('treats the same cumVolume on another day or symbol as a different trade', async () => {
      const nextDay = '20250103';
      await store.writeTicks('k', toBatches('S', DAY, TRADES.slice(0, 1)));
      const r1 = await store.writeTicks(
        'k',
        toBatches('S', nextDay, [{ ...TRADES[0], ts: TRADES[0].ts + 86_400_000 }]),
      );
      const r2 = await store.writeTicks('k', toBatches('T', DAY, TRADES.slice(0, 1)));
      expect([r1.inserted, r2.inserted]).toEqual([1, 1]);
    });

    it('skips a duplicate inside one batch', async () => {
      const r = await store.writeTicks('k', toBatches('S', DAY, [TRADES[0], TRADES[1], TRADES[0]]));
      expect(r).toEqual({ inserted: 2, duplicates: 1 });
    });

    it.each([
      ['in order', [0, 1, 2, 3, 4], [5]],
      ['reversed', [4, 3, 2, 1, 0], [5]],
      ['shuffled in small batches', [3, 0, 4, 2, 1], [2, 1, 2]],
      ['one tick per batch, close first', [3, 4, 1, 2, 0], [1]],
    ])('builds the hand-computed bars from ticks arriving %s', async (_label, order, sizes) => {
      const trades = (order as number[]).map((i) => TRADES[i]);
      await store.writeTicks('k', toBatches('S', DAY, trades, sizes as number[]));
      expect(await store.bars('S', M0, M1 + MINUTE_MS)).toEqual([BAR_M0, BAR_M1]);
    });

    it('returns bars for minutes in [from, to) only', async () => {
      await store.writeTicks('k', toBatches('S', DAY, TRADES));
      expect(await store.bars('S', M0, M1)).toEqual([BAR_M0]);
      expect(await store.bars('S', M1, M1 + MINUTE_MS)).toEqual([BAR_M1]);
      expect(await store.bars('OTHER', M0, M1 + MINUTE_MS)).toEqual([]);
    });

    it('lets a back-fill bar replace a tick-built bar entirely', async () => {
      await store.writeTicks('k', toBatches('S', DAY, TRADES));
      await store.upsertBars([bar(M0, 200, 999)], 'backfill');
      expect(await store.bars('S', M0, M1)).toEqual([{ ...bar(M0, 200, 999), source: 'backfill' }]);
    });

    it('never lets ticks change a back-filled minute', async () => {
      await store.upsertBars([bar(M0, 200, 999)], 'backfill');
      const r = await store.writeTicks('k', toBatches('S', DAY, TRADES));
      expect(r.inserted).toBe(5); // the ticks themselves are stored
      await store.upsertBars([bar(M0, 300, 1)], 'ticks');
      expect(await store.bars('S', M0, M1 + MINUTE_MS)).toEqual([
        { ...bar(M0, 200, 999), source: 'backfill' },
        BAR_M1,
      ]);
    });

    it('makes back-fill upserts idempotent and the last back-fill win', async () => {
      await store.upsertBars([bar(M0, 200, 999), bar(M1, 201, 5)], 'backfill');
      await store.upsertBars([bar(M0, 200, 999), bar(M1, 201, 5)], 'backfill');
      await store.upsertBars([bar(M1, 205, 6)], 'backfill');
      expect(await store.bars('S', M0, M1 + MINUTE_MS)).toEqual([
        { ...bar(M0, 200, 999), source: 'backfill' },
        { ...bar(M1, 205, 6), source: 'backfill' },
      ]);
    });

    it('lists the minutes in [from, to) that have no bar', async () => {
      await store.writeTicks('k', toBatches('S', DAY, TRADES.slice(0, 1)));
      await store.upsertBars([bar(M0 + 2 * MINUTE_MS, 200, 1)], 'backfill');
      expect(await store.missingMinutes('S', M0, M0 + 4 * MINUTE_MS)).toEqual([M1, M0 + 3 * MINUTE_MS]);
    });

    it('opens a gap once per id: a replayed open changes nothing', async () => {
      await store.openGap(gap('gap:S:1'));
      await store.updateGap('gap:S:1', { status: 'recovering', recoveredUntil: M1, attempts: 1 });
      await store.openGap(gap('gap:S:1', { priority: 1 }));
      expect(await store.getGap('gap:S:1')).toEqual(
        gap('gap:S:1', { status: 'recovering', recoveredUntil: M1, attempts: 1 }),
      );
    });

    it('closes a gap, keeping the first end when the close is replayed', async () => {
      await store.openGap(gap('gap:S:1'));
      await store.closeGap('gap:S:1', M1);
      await store.closeGap('gap:S:1', M1 + 5);
      expect((await store.getGap('gap:S:1'))?.end).toBe(M1);
      expect(await store.getGap('gap:missing')).toBeUndefined();
      await store.closeGap('gap:missing', 1); // no row: nothing happens
      await store.updateGap('gap:missing', { status: 'recovered' });
      expect(await store.listGaps()).toHaveLength(1);
    });

    it('lists gaps sorted by id, filtered by status', async () => {
      await store.openGap(gap('gap:B:1'));
      await store.openGap(gap('gap:A:2', { status: 'recovered' }));
      await store.openGap(gap('gap:A:1', { status: 'pending' }));
      expect((await store.listGaps()).map((g) => g.id)).toEqual(['gap:A:1', 'gap:A:2', 'gap:B:1']);
      expect((await store.listGaps(['open', 'pending'])).map((g) => g.id)).toEqual(['gap:A:1', 'gap:B:1']);
      await store.updateGap('gap:B:1', { status: 'unrecoverable', reason: 'outside history window' });
      expect(await store.listGaps(['unrecoverable'])).toEqual([
        gap('gap:B:1', { status: 'unrecoverable', reason: 'outside history window' }),
      ]);
    });

    it('keeps symbol volumes as given', async () => {
      await store.setSymbolVolumes(
        new Map([
          ['S', 10],
          ['T', 20],
        ]),
      );
      expect(await store.symbolVolumes()).toEqual(
        new Map([
          ['S', 10],
          ['T', 20],
        ]),
      );
    });

    it('property: any permutation with duplicates of a tick tape gives the true bars and tick count', async () => {
      let run = 0;
      const step = fc.record({
        dt: fc.integer({ min: 0, max: 40_000 }),
        volume: fc.integer({ min: 1, max: 50 }),
        price: fc.integer({ min: 90, max: 110 }),
      });
      const scenario = fc.array(step, { minLength: 1, maxLength: 40 }).chain((steps) =>
        fc.array(fc.nat({ max: steps.length - 1 }), { maxLength: steps.length }).chain((extra) => {
          const arrivals = [...steps.map((_, i) => i), ...extra];
          return fc.record({
            steps: fc.constant(steps),
            duplicates: fc.constant(extra.length),
            order: fc.shuffledSubarray(arrivals, { minLength: arrivals.length, maxLength: arrivals.length }),
            sizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }),
          });
        }),
      );
      await fc.assert(
        fc.asyncProperty(scenario, async ({ steps, duplicates: expectedDuplicates, order, sizes }) => {
          const symbol = `P${run++}`;
          const trades = tape(M0, steps);
          const arrivals = order.map((i) => trades[i]);
          let inserted = 0;
          let duplicates = 0;
          for (const b of toBatches(symbol, DAY, arrivals, sizes)) {
            const r = await store.writeTicks('k', [b]);
            inserted += r.inserted;
            duplicates += r.duplicates;
          }
          expect(inserted).toBe(trades.length);
          expect(duplicates).toBe(expectedDuplicates);
          const expected = referenceBars(symbol, trades).map((b) => ({ ...b, source: 'ticks' }));
          const last = trades[trades.length - 1].ts + MINUTE_MS;
          expect(await store.bars(symbol, M0, last)).toEqual(expected);
        }),
        { numRuns: options.virtualTime ? PROPERTY_RUNS : Math.min(PROPERTY_RUNS, 25) },
      );
    });
  });

  gapBatchContract(name, make, options);

  faultsContract(
    `${name}: Store`,
    make,
    {
      calls: (s) => ({
        writeTicks: () => s.writeTicks('k', toBatches('S', DAY, TRADES)),
        upsertBars: () => s.upsertBars([bar(M0, 1, 1)], 'backfill'),
        bars: () => s.bars('S', M0, M1),
        missingMinutes: () => s.missingMinutes('S', M0, M1),
        openGap: () => s.openGap(gap('gap:S:1')),
        openGaps: () => s.openGaps([gap('gap:S:1'), gap('gap:S:2')]),
        closeGap: () => s.closeGap('gap:S:1', M1),
        closeGaps: () => s.closeGaps([{ id: 'gap:S:1', end: M1 }]),
        updateGap: () => s.updateGap('gap:S:1', { attempts: 1 }),
        getGap: () => s.getGap('gap:S:1'),
        listGaps: () => s.listGaps(),
        symbolVolumes: () => s.symbolVolumes(),
        ping: () => s.ping(),
      }),
    },
    options,
  );
}
