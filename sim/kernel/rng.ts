// Seeded PRNG of the simulator (sfc32): one seed gives one stream of numbers on every platform.
// `fork(label)` derives an independent stream from the seed and the label path only, so adding a
// consumer, or drawing more numbers in one, never shifts the numbers any other consumer sees.
import { TgError } from '../../machines/errors.ts';

export interface Rng {
  /** Label path from the root ('' for the root, 'exchange/005930' for a nested fork). */
  readonly path: string;
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, n); n a positive integer. */
  int(n: number): number;
  /** Uniform in [min, max). */
  range(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Exponentially distributed with the given mean (Poisson inter-arrival times). */
  exponential(mean: number): number;
  /** Same (seed, path + label) always gives the same stream, whatever was drawn before. */
  fork(label: string): Rng;
}

/** cyrb128: spreads an arbitrary string over four 32-bit words (public-domain string hash). */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

class Sfc32 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  readonly path: string;

  constructor(
    private readonly seedText: string,
    private readonly labels: readonly string[],
  ) {
    this.path = labels.join('/');
    // NUL never occurs inside a label (fork rejects it), so distinct label paths hash distinct text.
    [this.a, this.b, this.c, this.d] = hash128(seedText + labels.map((l) => `\u0000${l}`).join(''));
    // sfc32 needs a few rounds before similar seeds give unrelated outputs.
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.nextUint32() / 4294967296;
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0)
      throw new TgError('TG_ERR_INTERNAL', `rng.int needs a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  range(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new TgError('TG_ERR_INTERNAL', 'rng.pick needs a non-empty list');
    return items[this.int(items.length)];
  }

  exponential(mean: number): number {
    // 1 - next() is in (0, 1], so the log is finite.
    return -Math.log(1 - this.next()) * mean;
  }

  fork(label: string): Rng {
    if (label.includes('\u0000')) throw new TgError('TG_ERR_INTERNAL', 'rng.fork labels cannot contain NUL');
    return new Sfc32(this.seedText, [...this.labels, label]);
  }
}

/** Root stream of a run. Numbers and strings are distinct seeds (7 and '7' differ). */
export function createRng(seed: number | string): Rng {
  return new Sfc32(`${typeof seed}:${String(seed)}`, []);
}
