// Exchange model: deterministic ticks whatever the step size, truth bars that match the ticks,
// continuous cumulative volume, KRX session shape and price grid, and a skewed universe.
import { describe, expect, it } from 'vitest';
import { KRX_HOURS, KST_OFFSET_MS, MINUTE_MS, kstTime } from '../../machines/marketHours.ts';
import type { Bar, TickBatch } from '../../machines/types.ts';
import { ExchangeModel } from '../../sim/exchange/exchange.ts';
import { priceLimits, tickSize } from '../../sim/exchange/tickSize.ts';
import { buildUniverse, marketCodes, FULL_MARKET_SIZE } from '../../sim/exchange/universe.ts';
import { createRng } from '../../sim/kernel/rng.ts';

const DAY = '2025-06-02';
const at = (hhmmss: string) => kstTime(DAY, hhmmss);

function makeExchange(
  seed: number,
  count = 30,
  extra: Partial<ConstructorParameters<typeof ExchangeModel>[0]> = {},
) {
  const rng = createRng(seed);
  const symbols = buildUniverse({ count }, { rng: rng.fork('universe') });
  return new ExchangeModel({ rng: rng.fork('exchange'), day: DAY, symbols, ...extra });
}

/** All ticks of [from, to) in `step` slices, concatenated per symbol. */
function collect(ex: ExchangeModel, from: number, to: number, step: number): Map<string, TickBatch> {
  const out = new Map<string, TickBatch>();
  ex.advance(from);
  for (let t = from; t < to;) {
    t = Math.min(t + step, to);
    for (const b of ex.advance(t)) {
      const acc = out.get(b.symbol) ?? {
        symbol: b.symbol,
        day: b.day,
        ts: [],
        cumVolume: [],
        price: [],
        volume: [],
      };
      acc.ts.push(...b.ts);
      acc.cumVolume.push(...b.cumVolume);
      acc.price.push(...b.price);
      acc.volume.push(...b.volume);
      out.set(b.symbol, acc);
    }
  }
  return out;
}

function barsFromTicks(t: TickBatch): Bar[] {
  const bars: Bar[] = [];
  for (let i = 0; i < t.ts.length; i++) {
    const minute = Math.floor(t.ts[i] / MINUTE_MS) * MINUTE_MS;
    const last = bars.at(-1);
    if (last && last.minute === minute) {
      last.high = Math.max(last.high, t.price[i]);
      last.low = Math.min(last.low, t.price[i]);
      last.close = t.price[i];
      last.volume += t.volume[i];
    } else {
      bars.push({
        symbol: t.symbol,
        minute,
        open: t.price[i],
        high: t.price[i],
        low: t.price[i],
        close: t.price[i],
        volume: t.volume[i],
      });
    }
  }
  return bars;
}

describe('exchange model', () => {
  it('produces the same ticks for the same seed whatever the step size', () => {
    const a = collect(makeExchange(5, 30, { activity: 0.2 }), at('09:00'), at('09:20'), 1000);
    const b = collect(makeExchange(5, 30, { activity: 0.2 }), at('09:00'), at('09:20'), 7_000);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [symbol, batch] of a) expect(b.get(symbol)).toEqual(batch);
    expect([...a.values()].reduce((n, x) => n + x.ts.length, 0)).toBeGreaterThan(1000);
  });

  it('produces different ticks for a different seed', () => {
    const a = collect(makeExchange(5), at('09:00'), at('09:05'), 1000).get('005930')!;
    const b = collect(makeExchange(6), at('09:00'), at('09:05'), 1000).get('005930')!;
    expect(a.ts).not.toEqual(b.ts);
  });

  it('returns batches only for [cursor, to): nothing twice, nothing at or after to', () => {
    const ex = makeExchange(2);
    const first = ex.advance(at('09:01'));
    expect(first.every((b) => b.ts.every((t) => t >= at('09:00') && t < at('09:01')))).toBe(true);
    const second = ex.advance(at('09:02'));
    expect(second.every((b) => b.ts.every((t) => t >= at('09:01') && t < at('09:02')))).toBe(true);
    expect(ex.advance(at('09:02'))).toEqual([]);
    expect(ex.cursor()).toBe(at('09:02'));
  });

  it('keeps truth bars equal to bars recomputed from the generated ticks', () => {
    const ex = makeExchange(9);
    const ticks = collect(ex, at('09:00'), at('09:30'), 2_500);
    for (const [symbol, batch] of ticks) {
      const recomputed = barsFromTicks(batch).filter((bar) => bar.minute + MINUTE_MS <= at('09:30'));
      expect(ex.truthBars(symbol)).toEqual(recomputed);
      expect(ex.totalTicks(symbol)).toBe(batch.ts.length);
    }
  });

  it('keeps cumVolume strictly increasing and equal to the previous cumVolume plus the volume', () => {
    const ticks = collect(makeExchange(3), at('09:00'), at('09:15'), 1000);
    const broken: string[] = [];
    for (const batch of ticks.values()) {
      let prev = 0;
      for (let i = 0; i < batch.ts.length; i++) {
        const ok =
          batch.volume[i] > 0 &&
          batch.cumVolume[i] === prev + batch.volume[i] &&
          (i === 0 || batch.ts[i] >= batch.ts[i - 1]);
        if (!ok) broken.push(`${batch.symbol}#${i}`);
        prev = batch.cumVolume[i];
      }
    }
    expect(broken).toEqual([]);
    expect(ticks.get('005930')!.ts.length).toBeGreaterThan(1000);
  });

  it('trades only on the tick grid and inside the daily price limits', () => {
    const ex = makeExchange(4);
    const ticks = collect(ex, at('09:00'), at('09:20'), 5000);
    const off: string[] = [];
    for (const batch of ticks.values()) {
      const { lower, upper } = priceLimits(ex.info(batch.symbol)!.prevClose);
      for (const p of batch.price) {
        if (p % tickSize(p) !== 0 || p < lower || p > upper) off.push(`${batch.symbol}@${p}`);
      }
    }
    expect(off).toEqual([]);
    const prices = new Set(ticks.get('005930')!.price);
    expect(prices.size).toBeGreaterThan(1);
  });

  it('is silent before the open and during the closing auction, then prints once at 15:30:00', () => {
    const ex = makeExchange(8, 10, { activity: 0.1 });
    expect(ex.advance(at('09:00'))).toEqual([]);
    ex.advance(at('15:20'));
    expect(ex.advance(at('15:30'))).toEqual([]);
    const auction = ex.advance(at('15:30:01'));
    expect(auction).toHaveLength(10);
    for (const b of auction) expect(b.ts).toEqual([at('15:30')]);
    expect(ex.advance(at('16:00'))).toEqual([]);
    const lastBar = ex.truthBars('005930').at(-1)!;
    expect(lastBar.minute).toBe(at('15:30'));
  });

  it('can trade continuously through the close instead of holding an auction', () => {
    const ex = makeExchange(8, 3, { closingAuction: 'continuous', activity: 0.1 });
    ex.advance(at('15:20'));
    const closing = ex.advance(at('15:30'));
    expect(closing.find((b) => b.symbol === '005930')!.ts.length).toBeGreaterThan(10);
    expect(ex.advance(at('15:31'))).toEqual([]);
  });

  it('trades around the clock when asked, restarting cumVolume on the new KST day', () => {
    const rng = createRng(14);
    const symbols = buildUniverse({ list: ['000660'] }, { rng: rng.fork('universe') });
    const ex = new ExchangeModel({
      rng: rng.fork('exchange'),
      day: DAY,
      symbols,
      hours: { ...KRX_HOURS, always: true },
      activity: 0.05,
    });
    ex.advance(at('23:59'));
    const midnight = kstTime('2025-06-03', '00:00');
    const across = ex.advance(midnight + 60_000);
    expect(across.map((b) => b.day)).toEqual(['20250602', '20250603']);
    expect(across[0].ts.every((t) => t >= at('23:59') && t < midnight)).toBe(true);
    expect(across[1].ts.every((t) => t >= midnight)).toBe(true);
    expect(across[1].cumVolume[0]).toBe(across[1].volume[0]);
    expect(across[0].cumVolume.at(-1)).toBeGreaterThan(across[1].cumVolume.at(-1)!);
  });

  it('answers broker pages newest first with the partial current minute', () => {
    const ex = makeExchange(10, 5);
    ex.advance(at('09:40:30'));
    const page = ex.page('005930', at('09:40:30'), at('09:40:30'), 30);
    expect(page.bars).toHaveLength(30);
    expect(page.bars[0].minute).toBe(at('09:40'));
    expect(page.bars[29].minute).toBe(at('09:11'));
    expect(page.exhausted).toBe(false);
    const partial = ex.barsAsOf('005930', at('09:40:30')).at(-1)!;
    expect(page.bars[0]).toEqual(partial);
    expect(ex.truthBars('005930').at(-1)!.minute).toBe(at('09:39'));
  });

  it('generates trade counts matching the calibrated rates over a full session, 005930 the busiest', () => {
    // Every 40th symbol of the full market (rank 1 included): cheap, yet spans the whole skew.
    const rng = createRng(1);
    const market = buildUniverse({ count: FULL_MARKET_SIZE }, { rng: rng.fork('universe') });
    const sample = market.filter((_, i) => i % 40 === 0);
    const ex = new ExchangeModel({
      rng: rng.fork('exchange'),
      day: DAY,
      symbols: sample,
      closingAuction: 'continuous',
    });
    const counts = new Map<string, number>();
    for (let t = at('09:00') + 10_000; t <= at('15:31'); t += 10_000) {
      for (const b of ex.advance(t)) counts.set(b.symbol, (counts.get(b.symbol) ?? 0) + b.ts.length);
    }
    const expected = sample.reduce((n, s) => n + s.tradesPerDay, 0);
    expect(ex.totals().ticks / expected).toBeGreaterThan(0.97);
    expect(ex.totals().ticks / expected).toBeLessThan(1.03);
    const busiest = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    expect(busiest).toBe('005930');
  });
});

describe('symbol universe', () => {
  it('puts real large caps on top and small caps such as 000020 at the bottom', () => {
    const codes = marketCodes();
    expect(codes).toHaveLength(FULL_MARKET_SIZE);
    expect(codes.slice(0, 5)).toEqual(['005930', '000660', '005935', '373220', '207940']);
    expect(codes.at(-1)).toBe('000020');
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true);
  });

  it('skews volume: the top symbol trades hundreds of times more than the median one', () => {
    const u = buildUniverse({ count: FULL_MARKET_SIZE }, { rng: createRng(1) });
    const median = u[Math.floor(u.length / 2)];
    expect(u[0].tradesPerDay / median.tradesPerDay).toBeGreaterThan(300);
    for (let i = 1; i < u.length; i++) expect(u[i].prevVolume).toBeLessThan(u[i - 1].prevVolume);
    const total = u.reduce((n, s) => n + s.tradesPerDay, 0);
    expect(total).toBeCloseTo(10_000_000, -3);
  });

  it('keeps named codes with their market rank and ranks unknown codes after the market', () => {
    const u = buildUniverse({ list: ['999990', '000020', '005930'] }, { rng: createRng(1) });
    expect(u.map((s) => [s.code, s.rank])).toEqual([
      ['005930', 1],
      ['000020', FULL_MARKET_SIZE],
      ['999990', FULL_MARKET_SIZE + 1],
    ]);
  });

  it('stamps KST session times: the first trade is at or after 09:00 KST', () => {
    const ex = makeExchange(12, 1);
    const [batch] = ex.advance(at('09:05'));
    const first = new Date(batch.ts[0] + KST_OFFSET_MS);
    expect(first.getUTCHours()).toBe(9);
    expect(batch.day).toBe('20250602');
  });
});
