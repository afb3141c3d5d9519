// Broker model REST side: KIS paging semantics, the per-app-key sliding-window limit with KIS and
// HTTP 429 rejections, bans, latency on the Clock, and the rest-down / slow faults.
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { isTgError, type TgError } from '../../machines/errors.ts';
import { MINUTE_MS, kstTime } from '../../machines/marketHours.ts';
import type { MinuteBarPage } from '../../ports/broker.ts';
import { SimBroker } from '../../sim/broker/brokerModel.ts';
import type { SimBrokerOptions } from '../../sim/broker/types.ts';
import { ExchangeModel } from '../../sim/exchange/exchange.ts';
import { buildUniverse } from '../../sim/exchange/universe.ts';
import { createRng } from '../../sim/kernel/rng.ts';

const DAY = '2025-06-02';
const at = (hhmmss: string) => kstTime(DAY, hhmmss);

function setup(options: Partial<SimBrokerOptions> = {}, startAt = at('10:00:00')) {
  const rng = createRng(21);
  const symbols = buildUniverse({ count: 20 }, { rng: rng.fork('universe') });
  // A twentieth of the calibrated activity: every busy symbol still trades each minute, setup stays cheap.
  const exchange = new ExchangeModel({ rng: rng.fork('exchange'), day: DAY, symbols, activity: 0.05 });
  const clock = new SimulatedClock();
  clock.set(startAt);
  exchange.advance(startAt);
  const broker = new SimBroker({ broker: 'kis', exchange, clock, rng: rng.fork('broker'), ...options });
  return { exchange, clock, broker };
}

/** Advance virtual time and let settled promises run their callbacks. */
async function elapse(clock: SimulatedClock, ms: number): Promise<void> {
  clock.increment(ms);
  await new Promise((resolve) => setImmediate(resolve));
}

type Outcome = { page?: MinuteBarPage; error?: TgError };
function track(p: Promise<MinuteBarPage>): Outcome {
  const out: Outcome = {};
  p.then(
    (page) => (out.page = page),
    (error) => (out.error = error),
  );
  return out;
}

describe('broker REST minute bars', () => {
  it('answers after its latency with at most 30 bars, newest first, ending at the asked minute', async () => {
    const { clock, broker, exchange } = setup();
    const rest = broker.rest('app-1');
    const res = track(rest.minuteBars('005930', at('09:45:10')));
    await elapse(clock, 29);
    expect(res.page).toBeUndefined();
    await elapse(clock, 60);
    const bars = res.page!.bars;
    expect(bars).toHaveLength(30);
    expect(bars[0].minute).toBe(at('09:45'));
    expect(bars.map((b) => b.minute)).toEqual(
      Array.from({ length: 30 }, (_, i) => at('09:45') - i * MINUTE_MS),
    );
    const truth = exchange.truthBars('005930');
    expect(bars[0]).toEqual(truth.find((b) => b.minute === at('09:45')));
  });

  it('pages backwards to the session open and says when it is exhausted', async () => {
    const { clock, broker, exchange } = setup();
    const rest = broker.rest('app-1');
    const seen: number[] = [];
    let before = at('09:59:59');
    for (let page = 0; page < 5; page++) {
      const res = track(rest.minuteBars('005930', before));
      await elapse(clock, 100);
      seen.push(...res.page!.bars.map((b) => b.minute));
      if (res.page!.exhausted) break;
      before = res.page!.bars.at(-1)!.minute - 1;
    }
    expect(seen.at(-1)).toBe(at('09:00'));
    expect(seen).toHaveLength(60);
    expect(seen).toEqual(
      exchange
        .truthBars('005930')
        .map((b) => b.minute)
        .reverse(),
    );
  });

  it('returns current values (the partial minute) for a time in the future, and nothing before the open', async () => {
    const { clock, broker, exchange } = setup({}, at('10:00:30'));
    const rest = broker.rest('app-1');
    const future = track(rest.minuteBars('005930', at('11:00')));
    const early = track(rest.minuteBars('005930', at('08:59')));
    await elapse(clock, 100);
    expect(future.page!.bars[0].minute).toBe(at('10:00'));
    const partial = future.page!.bars[0];
    expect(partial).toEqual(exchange.barsAsOf('005930', at('10:00:30')).at(-1));
    const complete = exchange.barsUpTo('005930', at('10:01')).at(-1)!;
    expect(complete.minute).toBe(at('10:00'));
    expect(partial.volume).toBeLessThan(complete.volume);
    expect(early.page).toEqual({ bars: [], exhausted: true });
  });

  it('rejects exactly the requests past the limit in a sliding one-second window (KIS EGW00201)', async () => {
    const { clock, broker } = setup({ rateLimitPerSec: 5 });
    const rest = broker.rest('app-1');
    const outcomes: Outcome[] = [];
    // 7 requests at t=0..600 ms (100 ms apart), then 3 more at 1000, 1050 and 1100 ms.
    for (let i = 0; i < 7; i++) {
      outcomes.push(track(rest.minuteBars('000660', clock.now())));
      await elapse(clock, 100);
    }
    await elapse(clock, 300);
    for (let i = 0; i < 3; i++) {
      outcomes.push(track(rest.minuteBars('000660', clock.now())));
      await elapse(clock, 50);
    }
    await elapse(clock, 200);
    expect(outcomes.map((o) => (o.page ? 'ok' : 'rejected'))).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'rejected',
      'rejected',
      // at 1000 ms the request of 0 ms has left the window (window is (t-1000, t]), at 1050 not yet the one of 100 ms
      'ok',
      'rejected',
      'ok',
    ]);
    const err = outcomes[5].error!;
    expect(isTgError(err, 'TG_ERR_BROKER_REJECTED')).toBe(true);
    expect(err.details).toMatchObject({ status: 500, msgCd: 'EGW00201', retryAfterMs: 1000 });
    // (50, 1050] holds the arrivals at 100..600, 1000 and 1050: eight, rejected ones included.
    expect(broker.stats().appKeys['app-1']).toEqual({
      requests: 10,
      rejections: 3,
      maxRequestsInAnySecond: 8,
    });
  });

  it('counts the limit per app key', async () => {
    const { clock, broker } = setup({ rateLimitPerSec: 1 });
    const a = track(broker.rest('a').minuteBars('005930', clock.now()));
    const b = track(broker.rest('b').minuteBars('005930', clock.now()));
    const a2 = track(broker.rest('a').minuteBars('005930', clock.now()));
    await elapse(clock, 100);
    expect([!!a.page, !!b.page, !!a2.page]).toEqual([true, true, false]);
  });

  it('rejects with a plain HTTP 429 when configured like Kiwoom', async () => {
    const { clock, broker } = setup({ rateLimitPerSec: 1, reject: 'http429' });
    const rest = broker.rest('k');
    track(rest.minuteBars('005930', clock.now()));
    const second = track(rest.minuteBars('005930', clock.now()));
    await elapse(clock, 100);
    expect(second.error!.details).toMatchObject({ status: 429, retryAfterMs: 1000 });
    expect(second.error!.details.msgCd).toBeUndefined();
  });

  it('bans an app key after too many rejections, then serves it again', async () => {
    const { clock, broker } = setup({
      rateLimitPerSec: 1,
      sanctions: { banAfterRejections: 2, banForMs: 5000 },
    });
    const rest = broker.rest('k');
    for (let i = 0; i < 3; i++) track(rest.minuteBars('005930', clock.now()));
    await elapse(clock, 1500);
    const banned = track(rest.minuteBars('005930', clock.now()));
    await elapse(clock, 100);
    expect(banned.error!.details.retryAfterMs).toBe(3500);
    await elapse(clock, 3500);
    const again = track(rest.minuteBars('005930', clock.now()));
    await elapse(clock, 100);
    expect(again.page).toBeDefined();
  });

  it('reports every request that reached it through onRequest', async () => {
    const log: string[] = [];
    const { clock, broker } = setup({
      rateLimitPerSec: 1,
      onRequest: (t, key, symbol, outcome) => log.push(`${t - at('10:00')} ${key} ${symbol} ${outcome}`),
    });
    track(broker.rest('k').minuteBars('005930', clock.now()));
    await elapse(clock, 10);
    track(broker.rest('k').minuteBars('000660', clock.now()));
    await elapse(clock, 100);
    expect(log).toEqual(['0 k 005930 ok', '10 k 000660 rejected']);
  });

  it('fails with TG_ERR_BROKER_DOWN after the connect timeout while REST is down, without counting requests', async () => {
    const { clock, broker } = setup({ connectTimeoutMs: 2000 });
    broker.startFault({ kind: 'rest-down' });
    const res = track(broker.rest('k').minuteBars('005930', clock.now()));
    await elapse(clock, 1999);
    expect(res.error).toBeUndefined();
    await elapse(clock, 1);
    expect(isTgError(res.error, 'TG_ERR_BROKER_DOWN')).toBe(true);
    expect(broker.stats().appKeys).toEqual({});
    broker.endFault('rest-down');
    const ok = track(broker.rest('k').minuteBars('005930', clock.now()));
    await elapse(clock, 100);
    expect(ok.page).toBeDefined();
  });

  it('adds the slow fault to the latency, and follows dependency conditions', async () => {
    const { clock, broker } = setup({ latencyMs: { min: 50, max: 50 } });
    broker.applyRestCondition({ up: true, slowByMs: 800 });
    const slow = track(broker.rest('k').minuteBars('005930', clock.now()));
    await elapse(clock, 849);
    expect(slow.page).toBeUndefined();
    await elapse(clock, 1);
    expect(slow.page).toBeDefined();
    broker.applyRestCondition({ up: false, slowByMs: 0 });
    const down = track(broker.rest('k').minuteBars('005930', clock.now()));
    await elapse(clock, 5000);
    expect(isTgError(down.error, 'TG_ERR_BROKER_DOWN')).toBe(true);
  });
});
