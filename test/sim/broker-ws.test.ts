// Broker model WebSocket side: one session per app key (OPSP8996), the KIS cap of 41 registrations
// (OPSP0008), fan-out of each step's batches, seeded independent drops, hold/release for a hung
// collector, terminate for a dead one, and the drop-ws fault.
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { isTgError } from '../../machines/errors.ts';
import { kstTime } from '../../machines/marketHours.ts';
import type { TickBatch } from '../../machines/types.ts';
import type { BrokerWsHandlers } from '../../ports/broker.ts';
import { SimBroker } from '../../sim/broker/brokerModel.ts';
import type { SimBrokerOptions } from '../../sim/broker/types.ts';
import { ExchangeModel } from '../../sim/exchange/exchange.ts';
import { buildUniverse } from '../../sim/exchange/universe.ts';
import { createRng } from '../../sim/kernel/rng.ts';

const DAY = '2025-06-02';
const at = (hhmmss: string) => kstTime(DAY, hhmmss);

function setup(count = 60, options: Partial<SimBrokerOptions> = {}) {
  const rng = createRng(33);
  const symbols = buildUniverse({ count }, { rng: rng.fork('universe') });
  // A twentieth of the calibrated activity: every busy symbol still trades each minute, setup stays cheap.
  const exchange = new ExchangeModel({ rng: rng.fork('exchange'), day: DAY, symbols, activity: 0.05 });
  const clock = new SimulatedClock();
  clock.set(at('09:30'));
  exchange.advance(at('09:30'));
  const broker = new SimBroker({ broker: 'kis', exchange, clock, rng: rng.fork('broker'), ...options });
  const codes = symbols.map((s) => s.code);
  return { exchange, clock, broker, codes };
}

function recorder() {
  const batches: TickBatch[][] = [];
  const closes: string[] = [];
  const handlers: BrokerWsHandlers = { onBatches: (b) => batches.push(b), onClose: (r) => closes.push(r) };
  const ticks = () => batches.flat().reduce((n, b) => n + b.ts.length, 0);
  return { batches, closes, handlers, ticks };
}

describe('broker WebSocket sessions', () => {
  it('accepts 41 registrations per KIS session and refuses the rest with OPSP0008', async () => {
    const { broker, codes } = setup();
    const ws = broker.ws('kis-key-1');
    await ws.connect(recorder().handlers);
    const res = await ws.subscribe(codes.slice(0, 45));
    expect(res.accepted).toEqual(codes.slice(0, 41));
    // (Record keys that look like integers enumerate numerically, so compare sorted.)
    expect(Object.keys(res.rejected).sort()).toEqual(codes.slice(41, 45).sort());
    expect(res.rejected[codes[42]]).toBe('OPSP0008 MAX SUBSCRIBE OVER');
    // Re-subscribing an existing symbol is fine; freeing one slot lets one more in.
    expect((await ws.subscribe([codes[0]])).accepted).toEqual([codes[0]]);
    await ws.unsubscribe([codes[0]]);
    expect((await ws.subscribe([codes[44]])).accepted).toEqual([codes[44]]);
  });

  it('refuses a second session for the same app key with OPSP8996 until the first closes', async () => {
    const { broker } = setup();
    await broker.ws('kis-key-1').connect(recorder().handlers);
    const second = broker.ws('kis-key-1');
    const err = await second.connect(recorder().handlers).catch((e) => e);
    expect(isTgError(err, 'TG_ERR_BROKER_REJECTED')).toBe(true);
    expect(err.details.msgCd).toBe('OPSP8996');
    await broker.ws('kis-key-2').connect(recorder().handlers);
    broker.sessionOf('kis-key-1')!.terminate();
    await expect(second.connect(recorder().handlers)).resolves.toBeUndefined();
  });

  it('uses a configurable cap for Kiwoom (default 100)', async () => {
    const { exchange, clock, codes } = setup(120);
    const kiwoom = new SimBroker({ broker: 'kiwoom', exchange, clock, rng: createRng(1) });
    const ws = kiwoom.ws('kw');
    await ws.connect(recorder().handlers);
    expect((await ws.subscribe(codes)).accepted).toHaveLength(100);
  });

  it('delivers each step only the subscribed symbols, once per session, and counts ticks', async () => {
    const { broker, exchange, codes } = setup();
    const a = recorder();
    const b = recorder();
    const wsA = broker.ws('a');
    const wsB = broker.ws('b');
    await wsA.connect(a.handlers);
    await wsB.connect(b.handlers);
    await wsA.subscribe(codes.slice(0, 3));
    await wsB.subscribe(codes.slice(2, 5));
    const step = exchange.advance(at('09:30:05'));
    broker.deliver(step);
    expect(a.batches).toHaveLength(1);
    expect(a.batches[0].map((x) => x.symbol)).toEqual(
      step.filter((x) => codes.slice(0, 3).includes(x.symbol)).map((x) => x.symbol),
    );
    expect(b.batches[0].map((x) => x.symbol)).toEqual(
      step.filter((x) => codes.slice(2, 5).includes(x.symbol)).map((x) => x.symbol),
    );
    const stats = broker.stats();
    expect(stats.ticksSent).toBe(a.ticks() + b.ticks());
    expect(stats.sessions.map((s) => s.ticksDelivered)).toEqual([a.ticks(), b.ticks()]);
  });

  it('drops a seeded fraction of messages, independently per session', async () => {
    const { broker, exchange, codes } = setup(40);
    const a = recorder();
    const b = recorder();
    const wsA = broker.ws('a');
    const wsB = broker.ws('b');
    await wsA.connect(a.handlers);
    await wsB.connect(b.handlers);
    await wsA.subscribe(codes);
    await wsB.subscribe(codes);
    broker.startFault({ kind: 'drop', ratio: 0.2 });
    let messages = 0;
    for (let t = at('09:30:01'); t <= at('09:40'); t += 1000) {
      const step = exchange.advance(t);
      messages += step.length;
      broker.deliver(step);
    }
    const got = (r: ReturnType<typeof recorder>) => r.batches.flat();
    const keysA = new Set(got(a).map((x) => `${x.symbol}@${x.ts[0]}`));
    const keysB = new Set(got(b).map((x) => `${x.symbol}@${x.ts[0]}`));
    expect(got(a).length / messages).toBeGreaterThan(0.75);
    expect(got(a).length / messages).toBeLessThan(0.85);
    const both = [...keysA].filter((k) => keysB.has(k)).length;
    expect(both).toBeLessThan(Math.min(keysA.size, keysB.size));
    const stats = broker.stats();
    expect(stats.ticksSent - stats.ticksDropped).toBe(a.ticks() + b.ticks());
    broker.endFault('drop');
  });

  it('queues deliveries for a held (hung) session and hands them over late on release, in order', async () => {
    const { broker, exchange, codes } = setup();
    const r = recorder();
    const ws = broker.ws('a');
    await ws.connect(r.handlers);
    await ws.subscribe([codes[0]]);
    ws.hold();
    broker.deliver(exchange.advance(at('09:30:05')));
    broker.deliver(exchange.advance(at('09:30:10')));
    expect(r.batches).toHaveLength(0);
    ws.release();
    expect(r.batches).toHaveLength(1);
    const ts = r.batches[0].flatMap((b) => b.ts);
    expect(ts).toEqual([...ts].sort((x, y) => x - y));
    expect(ts.at(-1)).toBeGreaterThanOrEqual(at('09:30:05'));
  });

  it('closes every session on drop-ws (held ones hear it on release) and refuses connects until it ends', async () => {
    const { broker, clock } = setup(60, { connectTimeoutMs: 1000 });
    const a = recorder();
    const b = recorder();
    await broker.ws('a').connect(a.handlers);
    const wsB = broker.ws('b');
    await wsB.connect(b.handlers);
    wsB.hold();
    broker.startFault({ kind: 'drop-ws', reason: 'ECONNRESET' });
    expect(a.closes).toEqual(['ECONNRESET']);
    expect(b.closes).toEqual([]);
    wsB.release();
    expect(b.closes).toEqual(['ECONNRESET']);
    const retry = broker.ws('a').connect(a.handlers);
    const outcome = retry.then(
      () => 'connected',
      (e) => e.code,
    );
    clock.increment(1000);
    expect(await outcome).toBe('TG_ERR_BROKER_DOWN');
    broker.endFault('drop-ws');
    await expect(broker.ws('a').connect(a.handlers)).resolves.toBeUndefined();
  });

  it('terminating a session (process died) frees the app key and stops deliveries silently', async () => {
    const { broker, exchange, codes } = setup();
    const r = recorder();
    const ws = broker.ws('a');
    await ws.connect(r.handlers);
    await ws.subscribe([codes[0]]);
    ws.terminate();
    broker.deliver(exchange.advance(at('09:30:05')));
    expect(r.batches).toHaveLength(0);
    expect(r.closes).toEqual([]);
    expect(broker.sessionOf('a')).toBeUndefined();
  });
});
