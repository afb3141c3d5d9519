// Silent-loss detection: a cumulative-volume jump larger than the first tick's own volume between
// two batches of one symbol is a closed gap; continuity, new days, late data and garbage are not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SilentLossDetector } from '../../machines/silentLoss.ts';
import { endCum, tickRun } from './collectorHarness.ts';

describe('SilentLossDetector', () => {
  it('finds no gap in a continuous feed', () => {
    const d = new SilentLossDetector();
    const a = tickRun('005930', 0, 5, 1000);
    const b = tickRun('005930', endCum(a), 5, 2000);
    expect(d.check(a)).toBeUndefined();
    expect(d.check(b)).toBeUndefined();
  });

  it('yields a closed gap from the last tick before to the first tick after missed trades', () => {
    const d = new SilentLossDetector();
    const a = tickRun('005930', 0, 5, 1000);
    const c = tickRun('005930', endCum(a) + 7, 5, 3000);
    d.check(a);
    expect(d.check(c)).toEqual({
      id: `gap:005930:${a.ts[4]}`,
      symbol: '005930',
      start: a.ts[4],
      end: 3000,
      missedVolume: 7,
    });
  });

  it('tracks symbols independently', () => {
    const d = new SilentLossDetector();
    d.check(tickRun('A', 0, 3, 0));
    d.check(tickRun('B', 0, 3, 0));
    expect(d.check(tickRun('B', 100, 3, 500))?.symbol).toBe('B');
    expect(d.check(tickRun('A', 6, 3, 500))).toBeUndefined();
  });

  it('starts fresh on a new trading day and after reset', () => {
    const d = new SilentLossDetector();
    d.check(tickRun('A', 0, 3, 0, '20250304'));
    expect(d.check(tickRun('A', 500, 3, 100, '20250305'))).toBeUndefined();
    d.reset();
    expect(d.check(tickRun('A', 900, 3, 200, '20250305'))).toBeUndefined();
  });

  it('ignores late or repeated batches and does not move its mark backwards', () => {
    const d = new SilentLossDetector();
    const a = tickRun('A', 0, 5, 0);
    const b = tickRun('A', endCum(a), 5, 100);
    d.check(a);
    d.check(b);
    expect(d.check(a)).toBeUndefined();
    // after the repeat of `a`, continuing after `b` is still continuous
    expect(d.check(tickRun('A', endCum(b), 2, 200))).toBeUndefined();
  });

  it('neither raises nor learns from non-finite numbers', () => {
    const d = new SilentLossDetector();
    const a = tickRun('A', 0, 3, 0);
    d.check(a);
    const bad = tickRun('A', 1000, 3, 100);
    bad.cumVolume[0] = Number.NaN;
    expect(d.check(bad)).toBeUndefined();
    expect(d.check(tickRun('A', endCum(a), 3, 200))).toBeUndefined();
  });

  it('reports exactly the batches after dropped messages (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 20 }), fc.boolean()), { minLength: 1, maxLength: 40 }),
        (runs) => {
          const d = new SilentLossDetector();
          let cum = 0;
          let delivered = 0;
          let skippedSinceDelivery = false;
          for (const [n, dropped] of runs) {
            const batch = tickRun('A', cum, n, cum * 10);
            cum = endCum(batch);
            if (dropped) {
              skippedSinceDelivery = true;
              continue;
            }
            const gap = d.check(batch);
            expect(gap !== undefined).toBe(delivered > 0 && skippedSinceDelivery);
            delivered += 1;
            skippedSinceDelivery = false;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
