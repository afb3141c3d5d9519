// startWriter on in-memory ports and SimulatedClock: drains every collector stream into the store,
// never acks while timescaledb or redis-main is down and resumes after, and a crash between write
// and ack re-delivers without storing a row twice.
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { startWriter, type WriterHandle } from '../../actors/writer.ts';
import { TgError } from '../../machines/errors.ts';
import { createMemoryPorts } from '../../ports/memory/index.ts';
import type { Store } from '../../ports/store.ts';
import type { TickBuffer } from '../../ports/tickBuffer.ts';
import { SESSION_10AM, advance, endCum, flush, tickRun } from './collectorHarness.ts';

function harness() {
  const clock = new SimulatedClock();
  clock.set(SESSION_10AM);
  const ports = createMemoryPorts(clock);
  const errors: unknown[] = [];
  const config = { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000 };
  const start = (over: { tickBuffer?: TickBuffer; store?: Store } = {}): WriterHandle => {
    const handle = startWriter({
      clock,
      ports: {
        tickBuffer: over.tickBuffer ?? ports.tickBuffer,
        store: over.store ?? ports.store,
        heartbeats: ports.heartbeats,
        mirror: ports.mirror,
      },
      config,
      batchSize: 7,
      random: () => 0.5,
    });
    handle.actor.subscribe({ error: (e) => errors.push(e) });
    return handle;
  };
  const cum = new Map<string, number>();
  let ticks = 0;
  /** Append one entry per collector with one batch per symbol (the collector side of the buffer). */
  const produce = async (entries: number) => {
    for (let i = 0; i < entries; i++) {
      for (const [collector, symbol] of [
        ['collector:kis-1', '005930'],
        ['collector:kiwoom-1', '000660'],
      ]) {
        const b = tickRun(symbol, cum.get(symbol) ?? 0, 4, clock.now());
        cum.set(symbol, endCum(b));
        ticks += 4;
        await ports.tickBuffer.append(collector, [b]);
      }
    }
  };
  return { clock, ports, errors, start, produce, produced: () => ticks };
}

describe('startWriter', () => {
  it('drains every stream into the store in batches and acks all of it', async () => {
    const h = harness();
    await h.produce(30);
    const w = h.start();
    await advance(h.clock, 1000);
    expect(w.state()).toMatch(/^healthy/);
    expect(h.ports.store.tickStats()).toMatchObject({ inserted: h.produced(), duplicatesSkipped: 0 });
    expect(h.ports.tickBuffer.backlogNow()).toBe(0);
    expect(h.ports.mirror.snapshot('writer')).toMatchObject({ state: 'healthy' });
    await h.produce(5);
    await advance(h.clock, 200);
    expect(h.ports.store.tickStats().inserted).toBe(h.produced());
    expect(h.errors).toEqual([]);
    w.stop();
  });

  it('drains a backlog larger than a batch at once, then polls every poll interval and claims every claim interval', async () => {
    const h = harness();
    await h.produce(30);
    const calls: string[] = [];
    const spy: TickBuffer = {
      append: (c, b) => h.ports.tickBuffer.append(c, b),
      read: (c, n) => {
        calls.push(`read@${h.clock.now() - SESSION_10AM}`);
        return h.ports.tickBuffer.read(c, n);
      },
      claim: (c, idle, n) => {
        calls.push(`claim${idle}@${h.clock.now() - SESSION_10AM}`);
        return h.ports.tickBuffer.claim(c, idle, n);
      },
      ack: (e) => h.ports.tickBuffer.ack(e),
      backlog: () => h.ports.tickBuffer.backlog(),
    };
    const w = startWriter({
      clock: h.clock,
      ports: {
        tickBuffer: spy,
        store: h.ports.store,
        heartbeats: h.ports.heartbeats,
        mirror: h.ports.mirror,
      },
      config: { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000 },
      batchSize: 7,
      pollIntervalMs: 100,
      claimIntervalMs: 250,
    });
    await flush();
    expect(h.ports.store.tickStats().inserted).toBe(h.produced());
    expect(calls.filter((c) => c.endsWith('@0')).length).toBeGreaterThanOrEqual(60 / 7);
    await advance(h.clock, 500);
    expect(calls.filter((c) => !c.endsWith('@0'))).toEqual([
      'read@100',
      'read@200',
      'claim250@300',
      'read@300',
      'read@400',
      'read@500',
    ]);
    w.stop();
  });

  for (const dep of ['timescaledb', 'redis-main'] as const) {
    it(`never acks while ${dep} is down, waits in degraded, and resumes without loss`, async () => {
      const h = harness();
      const w = h.start();
      await h.produce(3);
      await advance(h.clock, 500);
      const storedBefore = h.ports.store.tickStats().inserted;
      expect(storedBefore).toBe(h.produced());
      h.ports.gates[dep].down('refuse');
      const ackedBefore = h.ports.tickBuffer.stats().ackedEntries;
      if (dep === 'timescaledb') await h.produce(10);
      await advance(h.clock, 5000);
      expect(w.state()).toMatch(/^degraded/);
      expect(h.ports.tickBuffer.stats().ackedEntries).toBe(ackedBefore);
      expect(h.ports.store.tickStats().inserted).toBe(storedBefore);
      h.ports.gates[dep].up();
      if (dep === 'redis-main') await h.produce(10);
      await advance(h.clock, 3000);
      expect(w.state()).toMatch(/^healthy/);
      expect(h.ports.store.tickStats()).toMatchObject({ inserted: h.produced(), duplicatesSkipped: 0 });
      expect(h.ports.tickBuffer.backlogNow()).toBe(0);
      expect(h.errors).toEqual([]);
      w.stop();
    });
  }

  it('keeps up with a slow store', async () => {
    const h = harness();
    h.ports.gates.timescaledb.slow(800);
    const w = h.start();
    await h.produce(20);
    await advance(h.clock, 20_000);
    expect(h.ports.store.tickStats().inserted).toBe(h.produced());
    expect(h.ports.tickBuffer.backlogNow()).toBe(0);
    w.stop();
  });

  it('a crash between write and ack re-delivers to the next writer without duplicate rows', async () => {
    const h = harness();
    await h.produce(10);
    // the first writer's acks never complete: it dies after the store took the ticks
    const noAck: TickBuffer = {
      append: (c, b) => h.ports.tickBuffer.append(c, b),
      read: (c, n) => h.ports.tickBuffer.read(c, n),
      claim: (c, i, n) => h.ports.tickBuffer.claim(c, i, n),
      ack: () => new Promise(() => {}),
      backlog: () => h.ports.tickBuffer.backlog(),
    };
    const first = h.start({ tickBuffer: noAck });
    await advance(h.clock, 300);
    expect(h.ports.store.tickStats().inserted).toBeGreaterThan(0);
    expect(h.ports.tickBuffer.pendingCount()).toBeGreaterThan(0);
    first.stop();
    const insertedByFirst = h.ports.store.tickStats().inserted;

    const second = h.start();
    await advance(h.clock, 1000);
    const stats = h.ports.store.tickStats();
    expect(stats.inserted).toBe(h.produced());
    expect(stats.duplicatesSkipped).toBe(insertedByFirst);
    expect(second.stats().entriesClaimed).toBeGreaterThan(0);
    expect(h.ports.tickBuffer.backlogNow()).toBe(0);
    second.stop();
  });

  it('goes down on a store error that retrying cannot fix, without acking', async () => {
    const h = harness();
    await h.produce(2);
    const broken: Store = Object.assign(Object.create(h.ports.store) as Store, {
      writeTicks: () => Promise.reject(new TgError('TG_ERR_INTERNAL', 'schema mismatch')),
    });
    const w = h.start({ store: broken });
    await advance(h.clock, 2000);
    expect(w.state()).toBe('down');
    expect(h.ports.tickBuffer.stats().ackedEntries).toBe(0);
    expect(h.ports.mirror.snapshot('writer')).toMatchObject({ state: 'down' });
    expect(h.errors).toEqual([]);
    w.stop();
  });

  it('beats while degraded, and the mirror catches up when redis-main returns', async () => {
    const h = harness();
    const w = h.start();
    await flush();
    h.ports.gates['redis-main'].down('refuse');
    await advance(h.clock, 2000);
    expect(w.state()).toMatch(/^degraded/);
    h.ports.gates['redis-main'].up();
    await advance(h.clock, 3000);
    expect(h.ports.mirror.snapshot('writer')).toMatchObject({ state: 'healthy' });
    expect((await h.ports.heartbeats.last('writer'))?.state).toBe('healthy');
    w.stop();
  });
});
