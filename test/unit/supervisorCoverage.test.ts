// Coverage and gaps: one COLLECTOR_DOWN per outage, published in the same step as the detection,
// gaps only for symbols nobody else covers (start = last tick), COLLECTOR_UP closing them at liveSince.
import { describe, expect, it } from 'vitest';
import type { CollectorDownEvent, CollectorUpEvent, TgEvent } from '../../machines/types.ts';
import { drive, startSupervisorMachine, testConfig } from './supervisorHarness.ts';

const coverage = { 'collector:kis-1': ['A', 'B'], 'collector:kis-2': ['B', 'C'] };
const symbols = coverage;
const rigWithCollectors = () =>
  startSupervisorMachine({
    config: testConfig({}, ['kis-1', 'kis-2']),
    coverage,
    volumes: { A: 100, B: 50, C: 10 },
  });
const downs = (events: TgEvent[]) =>
  events.filter((e): e is CollectorDownEvent => e.type === 'COLLECTOR_DOWN');
const ups = (events: TgEvent[]) => events.filter((e): e is CollectorUpEvent => e.type === 'COLLECTOR_UP');

describe('COLLECTOR_DOWN', () => {
  it('is published in the same step as the view goes down, with gaps only for uncovered symbols', async () => {
    const rig = rigWithCollectors();
    await drive(rig, 5000, { symbols });
    rig.send({ type: 'PROCESS_EXITED', component: 'collector:kis-1', at: 5000 });
    // no microtask flush, no clock step: the event is already out
    const down = downs(rig.published);
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({
      collector: 'collector:kis-1',
      symbols: ['A', 'B'],
      reason: 'exited',
      detectedAt: 5000,
      gapStart: 5000,
      gaps: [{ gapId: 'gap:A:5000', symbol: 'A', start: 5000, priority: 100 }],
    });
    const order = rig.published.map((e) => e.type);
    expect(order.indexOf('COLLECTOR_DOWN')).toBe(order.lastIndexOf('COMPONENT_STATE') + 1);
  });

  it('starts each gap at the collector’s last tick for that symbol, else its last heartbeat', async () => {
    const rig = rigWithCollectors();
    await drive(rig, 5000, {
      symbols,
      extra: (id, t) => (id === 'collector:kis-2' ? { lastTickAt: { B: t - 300 } } : {}),
    });
    rig.send({ type: 'PROCESS_EXITED', component: 'collector:kis-2', at: 5100 });
    rig.send({ type: 'PROCESS_EXITED', component: 'collector:kis-1', at: 5100 });
    const gaps = downs(rig.published).flatMap((d) => d.gaps);
    // C: kis-2 only, no tick for C -> its last beat (5000); B: kis-1 went down after kis-2 -> kis-1's tick
    expect(gaps).toEqual([
      { gapId: 'gap:C:5000', symbol: 'C', start: 5000, priority: 10 },
      { gapId: 'gap:A:5000', symbol: 'A', start: 5000, priority: 100 },
      { gapId: 'gap:B:5000', symbol: 'B', start: 5000, priority: 50 },
    ]);
  });

  it('yields one COLLECTOR_DOWN per outage, however many ways the collector fails during it', async () => {
    const rig = rigWithCollectors();
    await drive(rig, 4000, { symbols });
    // broker socket lost first (a live process with a dead socket is a gap), then the process hangs
    await drive(rig, 6000, {
      symbols,
      extra: (id) =>
        id === 'collector:kis-1' ? { brokerConnected: false, lastTickAt: { A: 4000, B: 4000 } } : {},
    });
    await drive(rig, 12_000, { symbols, alive: (id) => id !== 'collector:kis-1' });
    expect(downs(rig.published)).toHaveLength(1);
    expect(downs(rig.published)[0]).toMatchObject({
      reason: 'broker-ws-lost',
      gaps: [{ symbol: 'A', start: 4000 }],
    });
    expect(rig.views()['collector:kis-1']).not.toBe('healthy');
  });

  it('opens no gap while a redundant collector covers the symbols', async () => {
    const rig = startSupervisorMachine({
      config: testConfig({}, ['kis-1', 'kiwoom-1']),
      coverage: { 'collector:kis-1': ['A'], 'collector:kiwoom-1': ['A'] },
    });
    await drive(rig, 3000, { symbols: { 'collector:kis-1': ['A'], 'collector:kiwoom-1': ['A'] } });
    rig.send({ type: 'PROCESS_EXITED', component: 'collector:kis-1', at: 3000 });
    expect(downs(rig.published)).toEqual([
      expect.objectContaining({ collector: 'collector:kis-1', gaps: [] }),
    ]);
  });

  it('does not open a gap for a symbol the broker refused to subscribe', async () => {
    const rig = startSupervisorMachine({
      config: testConfig({}, ['kis-1']),
      coverage: { 'collector:kis-1': ['A', 'Z'] },
    });
    await drive(rig, 3000, {
      extra: (id, t) =>
        id === 'collector:kis-1' ? { lastTickAt: { A: t }, rejected: { Z: 'OPSP0008' } } : {},
    });
    rig.send({ type: 'PROCESS_EXITED', component: 'collector:kis-1', at: 3000 });
    expect(downs(rig.published)[0].gaps.map((g) => g.symbol)).toEqual(['A']);
  });
});

describe('COLLECTOR_UP', () => {
  it('closes the gaps of the symbols a returning collector covers, ending at its liveSince', async () => {
    const rig = rigWithCollectors();
    await drive(rig, 5000, { symbols });
    rig.send({ type: 'PROCESS_EXITED', component: 'collector:kis-1', at: 5000 });
    rig.send({ type: 'PROCESS_STARTED', component: 'collector:kis-1', at: 5200 });
    await drive(rig, 9000, {
      symbols,
      alive: (id, t) => id !== 'collector:kis-1' || t >= 7000,
      extra: (id) => (id === 'collector:kis-1' ? { liveSince: 6800 } : {}),
    });
    expect(ups(rig.published)).toEqual([
      expect.objectContaining({
        collector: 'collector:kis-1',
        gapEnd: 6800,
        closed: [{ gapId: 'gap:A:5000', symbol: 'A', end: 6800 }],
      }),
    ]);
    expect(rig.sup.getSnapshot().context.core.coverage.open).toEqual({});
  });

  it('lets another collector close a gap, and never opens overlapping gaps for a symbol', async () => {
    const rig = rigWithCollectors();
    await drive(rig, 3000, { symbols });
    rig.send({ type: 'PROCESS_EXITED', component: 'collector:kis-2', at: 3000 });
    rig.send({ type: 'PROCESS_EXITED', component: 'collector:kis-1', at: 3000 }); // B and C uncovered now
    rig.send({ type: 'PROCESS_STARTED', component: 'collector:kis-2', at: 3100 });
    await drive(rig, 6000, {
      symbols,
      alive: (id, t) => id === 'collector:kis-2' && t >= 4000,
      extra: (id) => (id === 'collector:kis-2' ? { liveSince: 3900, lastTickAt: { B: 3000 } } : {}),
    });
    // kis-2 closed B and C at 3900; B's last tick (3000) predates that end: the next gap starts at 3900
    rig.send({ type: 'PROCESS_EXITED', component: 'collector:kis-2', at: 6000 });
    const opened = downs(rig.published).flatMap((d) => d.gaps.map((g) => `${g.symbol}@${g.start}`));
    expect(opened).toEqual(['C@3000', 'A@3000', 'B@3000', 'B@3900', 'C@6000']);
  });
});

describe('after a supervisor restart', () => {
  it('adopts the ledger’s open gaps and closes them when a collector covers the symbol again', async () => {
    const rig = rigWithCollectors();
    rig.send({
      type: 'SEED_GAPS',
      gaps: [
        {
          gapId: 'gap:A:1000',
          symbol: 'A',
          start: 1000,
          end: null,
          priority: 100,
          collector: 'collector:kis-1',
        },
        {
          gapId: 'gap:Q:1000',
          symbol: 'Q',
          start: 1000,
          end: null,
          priority: 1,
          collector: 'collector:gone',
        },
        {
          gapId: 'gap:C:500',
          symbol: 'C',
          start: 500,
          end: 2500,
          priority: 10,
          collector: 'collector:kis-2',
        },
      ],
    });
    await drive(rig, 4000, {
      symbols,
      extra: (id) =>
        id === 'collector:kis-1'
          ? { liveSince: 2500 }
          : id === 'collector:kis-2'
            ? { lastTickAt: { C: 1000 } }
            : {},
    });
    expect(ups(rig.published)).toEqual([
      expect.objectContaining({
        collector: 'collector:kis-1',
        closed: [{ gapId: 'gap:A:1000', symbol: 'A', end: 2500 }],
      }),
    ]);
    expect(rig.sup.getSnapshot().context.core.coverage.open).toEqual({}); // Q is nobody's symbol here
  });

  it('never opens a gap that overlaps one its predecessor closed', async () => {
    const rig = rigWithCollectors();
    rig.send({
      type: 'SEED_GAPS',
      gaps: [
        {
          gapId: 'gap:C:500',
          symbol: 'C',
          start: 500,
          end: 2500,
          priority: 10,
          collector: 'collector:kis-2',
        },
      ],
    });
    await drive(rig, 4000, {
      symbols,
      extra: (id) => (id === 'collector:kis-2' ? { lastTickAt: { C: 1000 } } : {}),
    });
    rig.send({ type: 'PROCESS_EXITED', component: 'collector:kis-2', at: 4000 });
    expect(downs(rig.published)[0].gaps).toEqual([
      { gapId: 'gap:C:2500', symbol: 'C', start: 2500, priority: 10 },
    ]);
  });
});

describe('event ids', () => {
  it('are unique and the same in two identical runs', async () => {
    const run = async () => {
      const rig = rigWithCollectors();
      await drive(rig, 4000, { symbols });
      rig.send({ type: 'PROCESS_EXITED', component: 'collector:kis-1', at: 4000 });
      await drive(rig, 12_000, { symbols, alive: (id) => id !== 'collector:kis-1' });
      return rig.published;
    };
    const a = await run();
    const b = await run();
    expect(new Set(a.map((e) => e.id)).size).toBe(a.length);
    expect(a).toEqual(b);
    expect(a[0].id).toMatch(/^sup:COMPONENT_STATE:\d+$/);
  });
});
