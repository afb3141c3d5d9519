// RateLimitStore contract: with burst 1 no 1000 ms window ever holds more than ratePerSec grants,
// a denial's waitMs says exactly when the next grant comes, charges consume the shared budget.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RateLimitStore } from '../../ports/rateLimitStore.ts';
import { faultsContract } from './faults.contract.ts';
import type { ContractOptions, Harness, MakeHarness } from './harness.ts';

const PROPERTY_RUNS = Number(process.env.TG_PROPERTY_RUNS ?? 100);

/** Sorted grant times hold at most `rate` in any half-open window [t, t + 1000). */
function maxInAnySecond(grants: number[]): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < grants.length; hi++) {
    while (grants[hi] - grants[lo] >= 1000) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

export function rateLimitStoreContract(
  name: string,
  make: MakeHarness<RateLimitStore>,
  options: ContractOptions,
): void {
  describe(`${name}: RateLimitStore contract`, () => {
    let h: Harness<RateLimitStore>;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(() => h.cleanup());

    it('grants an idle bucket at once and then spaces requests by 1000/ratePerSec', async () => {
      const limit = { ratePerSec: 10, burst: 1 };
      expect((await h.port.acquire('kis:A', limit)).granted).toBe(true);
      await h.advance(30);
      const denied = await h.port.acquire('kis:A', limit);
      expect(denied.granted).toBe(false);
      expect(denied.waitMs).toBeGreaterThan(0);
      expect(denied.waitMs).toBeLessThanOrEqual(100);
      if (options.virtualTime) {
        expect(denied.waitMs).toBeCloseTo(70, 6);
        await h.advance(denied.waitMs - 1);
        expect((await h.port.acquire('kis:A', limit)).granted).toBe(false);
        await h.advance(1);
      } else {
        await h.advance(denied.waitMs + 5);
      }
      expect((await h.port.acquire('kis:A', limit)).granted).toBe(true);
    });

    it('keeps keys independent', async () => {
      const limit = { ratePerSec: 2, burst: 1 };
      expect((await h.port.acquire('kis:A', limit)).granted).toBe(true);
      expect((await h.port.acquire('kis:B', limit)).granted).toBe(true);
      expect((await h.port.acquire('kis:A', limit)).granted).toBe(false);
    });

    it('allows `burst` requests back to back, then denies', async () => {
      const limit = { ratePerSec: 5, burst: 3 };
      const results = [];
      for (let i = 0; i < 4; i++) results.push((await h.port.acquire('kis:A', limit)).granted);
      expect(results).toEqual([true, true, true, false]);
    });

    it('decides concurrent acquires one by one in call order, as separate calls would be', async () => {
      const limit = { ratePerSec: 10, burst: 3 };
      const results = await Promise.all(Array.from({ length: 8 }, () => h.port.acquire('kis:C', limit)));
      expect(results.map((r) => r.granted)).toEqual([true, true, true, false, false, false, false, false]);
      const waits = results.filter((r) => !r.granted).map((r) => r.waitMs);
      for (const w of waits) {
        expect(w).toBeGreaterThan(0);
        expect(w).toBeLessThanOrEqual(100);
      }
      if (options.virtualTime) for (const w of waits) expect(w).toBeCloseTo(100, 6);
      expect(new Set(waits).size).toBe(1); // the wait for the next token, whoever asks
      // The concurrent grants spent the bucket like separate ones: the next comes one interval later.
      await h.advance(waits[0] + (options.virtualTime ? 0 : 5));
      const next = await Promise.all([h.port.acquire('kis:C', limit), h.port.acquire('kis:C', limit)]);
      expect(next.map((r) => r.granted)).toEqual([true, false]);
    });

    it('makes charged tokens delay the next grant by their cost', async () => {
      const limit = { ratePerSec: 10, burst: 1 };
      await h.port.charge('kis:A', limit, 5);
      const r = await h.port.acquire('kis:A', limit);
      expect(r.granted).toBe(false);
      if (options.virtualTime) expect(r.waitMs).toBeCloseTo(500, 6);
      else expect(r.waitMs).toBeGreaterThan(400);
    });

    it('never grants more than ratePerSec in any second under a steady hammer', async () => {
      const limit = { ratePerSec: 20, burst: 1 };
      const grants: number[] = [];
      const start = h.now();
      while (h.now() - start < 2500) {
        if ((await h.port.acquire('kis:hammer', limit)).granted) grants.push(h.now());
        await h.advance(7);
      }
      expect(maxInAnySecond(grants)).toBeLessThanOrEqual(20);
      expect(grants.length).toBeGreaterThanOrEqual(45); // the rate is used, not just capped
    });

    it.skipIf(!options.virtualTime)(
      'property: with burst 1, any request pattern stays within the rate and waitMs is exact',
      async () => {
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 1, max: 50 }),
            fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 120 }),
            async (ratePerSec, pauses) => {
              const key = `prop:${run++}`;
              const limit = { ratePerSec, burst: 1 };
              const interval = 1000 / ratePerSec;
              const grants: number[] = [];
              for (const pause of pauses) {
                await h.advance(pause);
                const r = await h.port.acquire(key, limit);
                if (r.granted) {
                  grants.push(h.now());
                } else {
                  const lastGrant = grants[grants.length - 1];
                  expect(r.waitMs).toBeCloseTo(lastGrant + interval - h.now(), 6);
                }
              }
              expect(maxInAnySecond(grants)).toBeLessThanOrEqual(ratePerSec);
            },
          ),
          { numRuns: PROPERTY_RUNS },
        );
      },
    );
  });

  faultsContract(
    `${name}: RateLimitStore`,
    make,
    {
      calls: (rl) => ({
        acquire: () => rl.acquire('kis:A', { ratePerSec: 1000, burst: 1000 }),
        charge: () => rl.charge('kis:A', { ratePerSec: 1000, burst: 1000 }, 1),
        ping: () => rl.ping(),
      }),
    },
    options,
  );
}
