// Invariant 6 (DESIGN section 10): dispatch never puts a lower-volume gap ahead of a pending
// higher-volume one except through aging, and aging bounds every gap's wait (no starvation).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  enqueue,
  respectsVolumeOrder,
  takeNext,
  type DispatchItem,
  type DispatchQueue,
} from '../../machines/dispatch.ts';

const numRuns = Number(process.env.TG_PROPERTY_RUNS ?? 200);

const opArb = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    symbol: fc.integer({ min: 0, max: 30 }),
    priority: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 0, max: 50_000_000 }),
    ),
  }),
  fc.record({ kind: fc.constant('take' as const) }),
);

describe('dispatch invariant 6', () => {
  it('never passes a pending higher-volume item except through aging', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 5000 }), op: opArb }), { maxLength: 200 }),
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600_000 })),
        (steps, agingMs) => {
          let q: DispatchQueue = [];
          let now = 0;
          for (const { dt, op } of steps) {
            now += dt;
            if (op.kind === 'add') {
              q = enqueue(q, {
                id: `gap:${String(op.symbol).padStart(6, '0')}`,
                priority: op.priority,
                enqueuedAt: now,
              });
              continue;
            }
            const { item, queue } = takeNext(q, now, agingMs);
            if (!item) {
              expect(q).toHaveLength(0);
              continue;
            }
            for (const other of queue) expect(respectsVolumeOrder(item, other, now, agingMs)).toBe(true);
            q = queue;
          }
        },
      ),
      { numRuns },
    );
  });

  it('serves every item within a bounded wait while fresh higher-volume work keeps arriving', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 100, max: 60_000 }),
        (lowPriority, highPriority, agingMs) => {
          const low: DispatchItem = { id: 'gap:low', priority: lowPriority, enqueuedAt: 0 };
          let q: DispatchQueue = [low];
          // One take per tick, one fresh item per tick: without aging the low item would starve.
          // Its aged priority passes a fresh item's after agingMs * (high + 1) / (low + 1).
          const agedAfter = agingMs * ((Math.max(highPriority, lowPriority) + 1) / (lowPriority + 1));
          const tickMs = Math.max(1, Math.ceil(agedAfter / 200));
          const bound = agedAfter + tickMs;
          for (let now = 0, i = 0; now <= bound + tickMs; now += tickMs, i++) {
            q = enqueue(q, { id: `gap:hi:${i}`, priority: highPriority, enqueuedAt: now });
            const { item, queue } = takeNext(q, now, agingMs);
            q = queue;
            if (item?.id === 'gap:low') return;
          }
          throw new Error(`low-volume gap still waiting after ${bound} ms`);
        },
      ),
      { numRuns },
    );
  });
});
