// startCollector end to end on in-memory ports and a fake broker, on SimulatedClock: redis-main
// outages (spool, replay, nothing lost or doubled), reconnects, silent loss, malformed data, heartbeats.
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { startCollector, type CollectorHandle } from '../../actors/collector.ts';
import type { TickBatch } from '../../machines/types.ts';
import { createMemoryPorts, type DownMode } from '../../ports/memory/index.ts';
import { FakeBrokerWs, SESSION_10AM, advance, endCum, flush, tickRun } from './collectorHarness.ts';

const NAME = 'collector:kis-1';
const SYMBOLS = ['005930', '000660'];

function harness() {
  const clock = new SimulatedClock();
  clock.set(SESSION_10AM);
  const ports = createMemoryPorts(clock);
  const broker = new FakeBrokerWs('kis');
  const spool = ports.spools.for(NAME);
  const errors: unknown[] = [];
  const start = (): CollectorHandle => {
    const handle = startCollector({
      clock,
      ports: {
        brokerWs: broker,
        tickBuffer: ports.tickBuffer,
        spool,
        heartbeats: ports.heartbeats,
        mirror: ports.mirror,
        eventBus: ports.eventBus,
      },
      config: { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, stallTimeoutMs: 30_000 },
      name: NAME,
      broker: 'kis',
      symbols: SYMBOLS,
      volumes: new Map([
        ['005930', 20_000_000],
        ['000660', 3_000_000],
      ]),
      random: () => 0.5,
    });
    handle.actor.subscribe({ error: (e) => errors.push(e) });
    return handle;
  };
  const cum: Record<string, number> = { '005930': 0, '000660': 0 };
  const sent: TickBatch[] = [];
  /** One broker message with a continuing batch per symbol. */
  const tick = (n = 3): void => {
    const batches = SYMBOLS.map((s) => {
      const b = tickRun(s, cum[s], n, clock.now());
      cum[s] = endCum(b);
      return b;
    });
    sent.push(...batches);
    broker.deliver(batches);
  };
  /** Every cumulative volume that reached the tick buffer, per symbol, in stream order. */
  const streamed = async () => {
    const entries = await ports.tickBuffer.read('check', 1_000_000);
    const out: Record<string, number[]> = { '005930': [], '000660': [] };
    for (const e of entries) for (const b of e.batches) out[b.symbol].push(...b.cumVolume);
    return out;
  };
  const expected = () => {
    const out: Record<string, number[]> = { '005930': [], '000660': [] };
    for (const b of sent) out[b.symbol].push(...b.cumVolume);
    return out;
  };
  return { clock, ports, broker, spool, errors, start, tick, streamed, expected, cum };
}

describe('startCollector', () => {
  it('starts healthy, buffers ticks and beats lastTickAt, brokerConnected and liveSince', async () => {
    const h = harness();
    const c = h.start();
    await flush();
    expect(c.state()).toBe('healthy');
    h.tick();
    await advance(h.clock, 1000);
    const beat = await h.ports.heartbeats.last(NAME);
    expect(beat).toMatchObject({ state: 'healthy', brokerConnected: true, liveSince: SESSION_10AM });
    expect(beat?.lastTickAt).toEqual({ '005930': SESSION_10AM + 20, '000660': SESSION_10AM + 20 });
    expect(h.ports.mirror.snapshot(NAME)).toMatchObject({ state: 'healthy', detail: 'healthy' });
    expect(await h.streamed()).toEqual(h.expected());
    c.stop();
  });

  for (const mode of ['refuse', 'timeout'] as DownMode[]) {
    it(`spools through a redis-main outage (${mode}) and replays in order: nothing lost, nothing doubled`, async () => {
      const h = harness();
      const c = h.start();
      await flush();
      const seen = new Set<string>();

      for (let i = 0; i < 10; i++) {
        h.tick();
        await advance(h.clock, 100);
      }
      h.ports.gates['redis-main'].down(mode);
      for (let i = 0; i < 50; i++) {
        h.tick();
        await advance(h.clock, 100);
        seen.add(c.state().split('.').slice(0, 2).join('.'));
      }
      expect(seen.has('degraded.spooling')).toBe(true);
      expect(h.spool.tickCount()).toBeGreaterThan(0);
      h.ports.gates['redis-main'].up();
      for (let i = 0; i < 100; i++) {
        h.tick();
        await advance(h.clock, 100);
      }
      expect(c.state()).toBe('healthy');
      expect(await h.spool.size()).toBe(0);
      expect(await h.streamed()).toEqual(h.expected());
      // the mirror caught up with the actor once redis-main was back
      expect(h.ports.mirror.snapshot(NAME)).toMatchObject({ state: 'healthy' });
      expect(h.errors).toEqual([]);
      c.stop();
    });
  }

  it('goes down on a broker kick, reconnects with back-off and resumes the feed', async () => {
    const h = harness();
    const c = h.start();
    await flush();
    h.tick();
    h.broker.failConnects = 2;
    h.broker.kick('OPSP8996 ALREADY IN USE appkey');
    await flush();
    expect(c.state()).toBe('down');
    await advance(h.clock, 1000);
    const downBeat = await h.ports.heartbeats.last(NAME);
    expect(downBeat).toMatchObject({ state: 'down', brokerConnected: false });
    expect(downBeat?.liveSince).toBeUndefined();
    // the last ticks stay in the beat so the supervisor can start the gap there
    expect(downBeat?.lastTickAt?.['005930']).toBe(SESSION_10AM + 20);
    await advance(h.clock, 1000); // 200 + 400 + 800 ms of back-off in all
    expect(c.state()).toBe('healthy');
    expect(h.broker.connects).toBe(4);
    const liveAt = h.clock.now();
    await advance(h.clock, 1000);
    const upBeat = await h.ports.heartbeats.last(NAME);
    expect(upBeat?.brokerConnected).toBe(true);
    expect(upBeat?.liveSince).toBeGreaterThan(SESSION_10AM);
    expect(upBeat?.liveSince).toBeLessThanOrEqual(liveAt);
    // trades missed while disconnected are the supervisor's gap, not a silent loss
    h.cum['005930'] += 1000;
    h.tick();
    await advance(h.clock, 100);
    expect(h.ports.eventBus.entries()).toHaveLength(0);
    expect(await h.streamed()).toEqual(h.expected());
    c.stop();
  });

  it('publishes a silent-loss gap with the symbol volume as priority when trades go missing', async () => {
    const h = harness();
    const c = h.start();
    await flush();
    h.tick();
    const lastTs = h.clock.now() + 20;
    await advance(h.clock, 500);
    h.cum['005930'] += 42; // one message lost on the way
    h.tick();
    await advance(h.clock, 10);
    const events = h.ports.eventBus.entries().map((e) => e.event);
    expect(events).toEqual([
      {
        type: 'GAP_OPENED',
        id: `GAP_OPENED:gap:005930:${lastTs}`,
        gap: expect.objectContaining({
          id: `gap:005930:${lastTs}`,
          collector: NAME,
          symbol: '005930',
          start: lastTs,
          end: SESSION_10AM + 500,
          priority: 20_000_000,
        }),
      },
    ]);
    expect(c.stats().silentLossGaps).toBe(1);
    c.stop();
  });

  it('keeps a silent-loss gap until redis-main takes it', async () => {
    const h = harness();
    const c = h.start();
    await flush();
    h.tick();
    h.ports.gates['redis-main'].down('refuse');
    h.cum['000660'] += 5;
    h.tick();
    await advance(h.clock, 500);
    expect(h.ports.eventBus.entries()).toHaveLength(0);
    expect(c.stats().eventsQueued).toBe(1);
    h.ports.gates['redis-main'].up();
    await advance(h.clock, 1000);
    expect(h.ports.eventBus.entries()).toHaveLength(1);
    c.stop();
  });

  it('counts malformed data and bad frames and keeps collecting', async () => {
    const h = harness();
    const c = h.start();
    await flush();
    h.broker.deliver(null);
    h.broker.deliver([
      {},
      { symbol: '005930', day: '20250304', ts: [1], cumVolume: [], price: [1], volume: [1] },
    ]);
    h.broker.badFrame('0|H0STCNT0|garbage');
    h.tick();
    const mixed = tickRun('005930', h.cum['005930'], 2, h.clock.now());
    h.cum['005930'] = endCum(mixed);
    h.broker.deliver([42, mixed]);
    await advance(h.clock, 1000);
    expect(c.state()).toBe('healthy');
    expect(c.stats()).toMatchObject({ malformedBatches: 4, badFrames: 1 });
    const got = await h.streamed();
    expect(got['005930']).toEqual([...h.expected()['005930'], ...mixed.cumVolume]);
    expect(h.errors).toEqual([]);
    c.stop();
  });

  it('stops cleanly: no more beats, the broker session is closed, late data is ignored', async () => {
    const h = harness();
    const c = h.start();
    await flush();
    c.stop();
    const beats = h.ports.heartbeats.count();
    h.tick();
    await advance(h.clock, 5000);
    expect(h.ports.heartbeats.count()).toBe(beats);
    expect(h.broker.isConnected()).toBe(false);
    expect(await h.ports.tickBuffer.backlog()).toBe(0);
  });
});
