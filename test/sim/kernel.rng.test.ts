// The seeded RNG: same seed, same numbers; forks are independent of draws elsewhere; outputs stay
// within their ranges and roughly uniform; the stream is pinned so traces stay comparable.
import { describe, expect, it } from 'vitest';
import { isTgError } from '../../machines/errors.ts';
import { createRng } from '../../sim/kernel/rng.ts';

const draw = (rng: { next(): number }, n: number) => Array.from({ length: n }, () => rng.next());

describe('rng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    expect(draw(createRng(7), 50)).toEqual(draw(createRng(7), 50));
    expect(draw(createRng(7), 50)).not.toEqual(draw(createRng(8), 50));
    expect(draw(createRng(7), 50)).not.toEqual(draw(createRng('7'), 50));
  });

  it('is pinned: changing the generator would silently change every simulator trace', () => {
    expect(draw(createRng(7), 3)).toEqual([0.8022784620989114, 0.7788069050293416, 0.8807215064298362]);
    const nested = createRng(7).fork('exchange').fork('005930');
    expect(nested.path).toBe('exchange/005930');
    expect([nested.int(1000), nested.int(1000), nested.int(1000)]).toEqual([274, 676, 99]);
  });

  it('forks by label: a fork does not depend on draws from its parent or on other forks', () => {
    const quiet = createRng(42);
    const busy = createRng(42);
    draw(busy, 1_000);
    busy.fork('collector:kis-1').next();
    expect(draw(busy.fork('exchange'), 20)).toEqual(draw(quiet.fork('exchange'), 20));
    expect(draw(quiet.fork('a'), 20)).not.toEqual(draw(quiet.fork('b'), 20));
    expect(draw(quiet.fork('a').fork('b'), 20)).not.toEqual(draw(quiet.fork('a/b'), 20));
    expect(draw(quiet.fork(''), 20)).not.toEqual(draw(quiet, 20));
  });

  it('keeps int, range, pick and exponential within their domains and int close to uniform', () => {
    const rng = createRng('uniform');
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 20_000; i++) counts[rng.int(10)]++;
    for (const c of counts) expect(Math.abs(c - 2_000)).toBeLessThan(200);
    for (let i = 0; i < 1_000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      const r = rng.range(-5, 5);
      expect(r >= -5 && r < 5).toBe(true);
      expect(['a', 'b']).toContain(rng.pick(['a', 'b']));
      expect(rng.exponential(100)).toBeGreaterThanOrEqual(0);
    }
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += rng.exponential(100);
    expect(Math.abs(sum / 20_000 - 100)).toBeLessThan(5);
  });

  it('rejects meaningless arguments with coded errors', () => {
    const rng = createRng(1);
    for (const bad of [
      () => rng.int(0),
      () => rng.int(2.5),
      () => rng.pick([]),
      () => rng.fork('a\u0000b'),
    ]) {
      let error: unknown;
      try {
        bad();
      } catch (e) {
        error = e;
      }
      expect(isTgError(error, 'TG_ERR_INTERNAL')).toBe(true);
    }
  });
});
