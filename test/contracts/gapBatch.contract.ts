// Store contract, gap-ledger batches: openGaps/closeGaps do exactly what their single calls in input
// order would (idempotent open, first close wins) and return the stored rows in input order.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kstTime, MINUTE_MS } from '../../machines/marketHours.ts';
import type { Gap } from '../../machines/types.ts';
import { GapLedger } from '../../ports/memory/gapLedger.ts';
import type { Store } from '../../ports/store.ts';
import { gapFixture } from './gapFixture.ts';
import type { ContractOptions, MakeHarness, Harness } from './harness.ts';

const PROPERTY_RUNS = Number(process.env.TG_PROPERTY_RUNS ?? 100);
const M0 = kstTime('20250102', '09:00');
const M1 = M0 + MINUTE_MS;

const gap = gapFixture(M0);

/** Gap i of a big outage: its own symbol, a start off the minute, a fractional priority. */
const outageGap = (i: number): Gap => {
  const symbol = String(i).padStart(6, '0');
  const start = M0 + i * 1001;
  return gap(`gap:${symbol}:${start}`, {
    symbol,
    start,
    priority: 1_000_000 - i + 0.5,
    recoveredUntil: Math.floor(start / MINUTE_MS) * MINUTE_MS,
  });
};

export function gapBatchContract(name: string, make: MakeHarness<Store>, options: ContractOptions): void {
  describe(`${name}: Store contract, gap batches`, () => {
    let h: Harness<Store>;
    let store: Store;
    beforeEach(async () => {
      h = await make();
      store = h.port;
      await store.migrate();
    });
    afterEach(() => h.cleanup());

    it('opens a batch and returns the rows as stored, in input order; a re-open overwrites nothing', async () => {
      await store.openGap(gap('gap:B:1'));
      await store.updateGap('gap:B:1', { status: 'recovering', recoveredUntil: M1, attempts: 2 });
      const progressed = gap('gap:B:1', { status: 'recovering', recoveredUntil: M1, attempts: 2 });
      const out = await store.openGaps([
        gap('gap:C:1', { reason: 'a "quoted", {braced} reason' }),
        gap('gap:B:1', { priority: 1, status: 'open', recoveredUntil: M0 }),
        gap('gap:A:1', { end: M1 + 7, priority: 12.25 }),
      ]);
      expect(out).toEqual([
        gap('gap:C:1', { reason: 'a "quoted", {braced} reason' }),
        progressed,
        gap('gap:A:1', { end: M1 + 7, priority: 12.25 }),
      ]);
      expect(await store.getGap('gap:B:1')).toEqual(progressed);
      expect((await store.listGaps()).map((g) => g.id)).toEqual(['gap:A:1', 'gap:B:1', 'gap:C:1']);
    });

    it('keeps the first of an id repeated in one open batch and returns a row per input gap', async () => {
      const out = await store.openGaps([gap('gap:S:1', { priority: 1 }), gap('gap:S:1', { priority: 2 })]);
      expect(out).toEqual([gap('gap:S:1', { priority: 1 }), gap('gap:S:1', { priority: 1 })]);
      expect(await store.listGaps()).toEqual([gap('gap:S:1', { priority: 1 })]);
    });

    it('closes a batch: the first close wins, unknown ids are left out, rows come in input order', async () => {
      await store.openGaps([gap('gap:A:1'), gap('gap:B:1'), gap('gap:C:1')]);
      await store.closeGap('gap:B:1', M1);
      const out = await store.closeGaps([
        { id: 'gap:C:1', end: M1 + 1 },
        { id: 'gap:missing', end: M1 + 9 },
        { id: 'gap:B:1', end: M1 + 2 },
        { id: 'gap:A:1', end: M1 + 3 },
        { id: 'gap:A:1', end: M1 + 4 },
      ]);
      expect(out.map((g) => [g.id, g.end])).toEqual([
        ['gap:C:1', M1 + 1],
        ['gap:B:1', M1],
        ['gap:A:1', M1 + 3],
        ['gap:A:1', M1 + 3],
      ]);
      // Closing records the end only; the status stays with the recovery worker.
      expect(out.every((g) => g.status === 'open')).toBe(true);
      expect(await store.getGap('gap:missing')).toBeUndefined();
      expect(await store.closeGaps([{ id: 'gap:A:1', end: M1 + 5 }])).toEqual([
        gap('gap:A:1', { end: M1 + 3 }),
      ]);
    });

    it('treats empty batches as calls that change nothing', async () => {
      await store.openGap(gap('gap:S:1'));
      expect(await store.openGaps([])).toEqual([]);
      expect(await store.closeGaps([])).toEqual([]);
      expect(await store.listGaps()).toEqual([gap('gap:S:1')]);
    });

    it('opens, closes and re-opens a batch of 500 gaps', async () => {
      const gaps = Array.from({ length: 500 }, (_, i) => outageGap(i));
      expect(await store.openGaps(gaps)).toEqual(gaps);
      expect(await store.listGaps()).toHaveLength(500);
      const closes = gaps.filter((_, i) => i % 2 === 0).map((g, k) => ({ id: g.id, end: M1 + k }));
      const closed = await store.closeGaps(closes);
      expect(closed.map((g) => [g.id, g.end])).toEqual(closes.map((c) => [c.id, c.end]));
      // A replayed COLLECTOR_DOWN: every row comes back as stored, closes and priorities kept.
      const reopened = await store.openGaps(gaps.map((g) => ({ ...g, priority: 1 })));
      const ends = new Map(closes.map((c) => [c.id, c.end]));
      expect(reopened).toEqual(gaps.map((g) => ({ ...g, end: ends.get(g.id) ?? null })));
    });

    it('property: batches leave the ledger as their single calls in input order would', async () => {
      let run = 0;
      const id = fc.constantFrom('a', 'b', 'c', 'd', 'e');
      const op = fc.oneof(
        fc.record({
          open: fc.array(
            fc.record({
              id,
              priority: fc.integer({ min: 1, max: 9 }),
              end: fc.option(fc.integer({ min: 1, max: 9 })),
            }),
            { maxLength: 6 },
          ),
        }),
        fc.record({
          close: fc.array(fc.record({ id, end: fc.integer({ min: 1, max: 9 }) }), { maxLength: 6 }),
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 6 }), async (ops) => {
          const prefix = `gap:P${run++}:`;
          const model = new GapLedger();
          for (const o of ops) {
            if ('open' in o) {
              const gaps = o.open.map((g) =>
                gap(prefix + g.id, { priority: g.priority, end: g.end === null ? null : M1 + g.end }),
              );
              for (const g of gaps) model.open(g);
              expect(await store.openGaps(gaps)).toEqual(gaps.map((g) => model.get(g.id)));
            } else {
              const closes = o.close.map((c) => ({ id: prefix + c.id, end: M1 + c.end }));
              for (const c of closes) model.close(c.id, c.end);
              const expected = closes.flatMap((c) => model.get(c.id) ?? []);
              expect(await store.closeGaps(closes)).toEqual(expected);
            }
          }
          const mine = (await store.listGaps()).filter((g) => g.id.startsWith(prefix));
          expect(mine).toEqual(model.list());
        }),
        { numRuns: options.virtualTime ? PROPERTY_RUNS : Math.min(PROPERTY_RUNS, 25) },
      );
    });
  });
}
