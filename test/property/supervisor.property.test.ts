// Invariants of DESIGN section 10 that the supervisor owns, over random sequences of heartbeats,
// silences, hangs, exits, platform restarts, probe failures, socket drops and clock advances. Each
// invariant is its own property; TG_PROPERTY_RUNS sets the run count, TG_PROPERTY_SEED replays one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDownState } from '../../machines/dependencyGraph.ts';
import { viewMirrorKey } from '../../machines/supervisorTypes.ts';
import type {
  CollectorDownEvent,
  CollectorUpEvent,
  ComponentStateEvent,
  TgEvent,
} from '../../machines/types.ts';
import {
  COLLECTORS,
  COVERAGE,
  SYMBOLS,
  World,
  config,
  propertyParams,
  scenarioArb,
  type Checks,
} from './supervisorWorld.ts';

async function play(commands: Parameters<World['run']>[0], checks: Checks = {}): Promise<World> {
  const world = new World(checks);
  await world.run(commands);
  expect(world.errors).toEqual([]);
  return world;
}

const ofType = <T extends TgEvent['type']>(events: TgEvent[], type: T) =>
  events.filter((e): e is Extract<TgEvent, { type: T }> => e.type === type);

/** 'DOWN' while the collector's latest coverage event is a COLLECTOR_DOWN. */
function outage(events: TgEvent[], collector: string): boolean {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.type === 'COLLECTOR_DOWN' && e.collector === collector) return true;
    if (e.type === 'COLLECTOR_UP' && e.collector === collector) return false;
  }
  return false;
}

describe('supervisor invariants', () => {
  it('(1) never restarts a component while one of its hard dependencies is down', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (commands) => {
        const w = await play(commands);
        for (const r of w.restarts) {
          for (const [dep, state] of Object.entries(r.deps)) {
            expect(isDownState(state), `${r.component} restarted at ${r.at} while ${dep} was ${state}`).toBe(
              false,
            );
          }
        }
      }),
      propertyParams(),
    );
  });

  it('(2) restarts at most R times in any window of T, and marks failed only when the limit is reached', async () => {
    const { maxRestarts: R, windowMs: T } = config.restart;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (commands) => {
        const w = await play(commands);
        const restartsOf = (c: string) => w.restarts.filter((r) => r.component === c).map((r) => r.at);
        for (const c of new Set(w.restarts.map((r) => r.component))) {
          const times = restartsOf(c);
          for (const t of times)
            expect(times.filter((u) => u > t - T && u <= t).length).toBeLessThanOrEqual(R);
        }
        const failures = ofType(w.published, 'COMPONENT_STATE').filter((e) => e.to === 'failed');
        for (const f of failures) {
          expect(f.reason).toBe('restart intensity exceeded');
          const starts = [
            ...restartsOf(f.actor),
            ...w.platformStarts.filter((s) => s.component === f.actor).map((s) => s.at),
          ];
          expect(starts.filter((u) => u > f.at - T && u <= f.at).length).toBeGreaterThanOrEqual(R);
        }
      }),
      propertyParams(),
    );
  });

  it('(4) one COLLECTOR_DOWN per outage, one open gap per uncovered symbol, no overlaps, gaps close on coverage', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (commands) => {
        const everCovered = new Set<string>();
        const settled = (w: World) => {
          const views = w.views();
          const covers = (c: string) =>
            (views[c] === 'healthy' || views[c] === 'degraded') && w.lastBeat[c]?.brokerConnected === true;
          const open = openGaps(w.published);
          for (const s of SYMBOLS) {
            const covered = COLLECTORS.some((c) => COVERAGE[c].includes(s) && covers(c));
            if (covered) everCovered.add(s);
            const gaps = open.filter((g) => g.symbol === s);
            if (covered) expect(gaps, `${s} is covered but has an open gap`).toEqual([]);
            else if (everCovered.has(s)) expect(gaps.length, `${s} uncovered at ${w.clock.now()}`).toBe(1);
          }
        };
        const w = await play(commands, { settled });
        checkGapHistory(w.published);
        for (const c of COLLECTORS) {
          const seq = w.published
            .filter(
              (e): e is CollectorDownEvent | CollectorUpEvent =>
                (e.type === 'COLLECTOR_DOWN' || e.type === 'COLLECTOR_UP') && e.collector === c,
            )
            .map((e) => e.type);
          seq.forEach((type, i) => expect(type).toBe(i % 2 === 0 ? 'COLLECTOR_DOWN' : 'COLLECTOR_UP'));
        }
      }),
      propertyParams(),
    );
  });

  it('(5) publishes COLLECTOR_DOWN in the same step as the collector is found down', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (commands) => {
        const sync = (w: World) => {
          const views = w.views();
          for (const c of COLLECTORS) {
            if (views[c] === 'down' || views[c] === 'failed') {
              expect(
                outage(w.published, c),
                `${c} is ${views[c]} at ${w.clock.now()} with no COLLECTOR_DOWN out`,
              ).toBe(true);
            }
          }
        };
        await play(commands, { sync });
      }),
      propertyParams(),
    );
  });

  it('(9) the mirrored state equals every view’s state after each settled step', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (commands) => {
        const settled = (w: World) => {
          for (const [id, state] of Object.entries(w.views())) {
            expect(w.mirror.snapshot(viewMirrorKey(id))?.state, `${id} at ${w.clock.now()}`).toBe(state);
          }
        };
        const w = await play(commands, { settled });
        const last = ofType(w.published, 'COMPONENT_STATE').reduce<Record<string, ComponentStateEvent>>(
          (acc, e) => ({ ...acc, [e.actor]: e }),
          {},
        );
        for (const [actor, e] of Object.entries(last))
          expect(w.mirror.snapshot(viewMirrorKey(actor))?.state).toBe(e.to);
      }),
      propertyParams(),
    );
  });
});

interface OpenGap {
  gapId: string;
  symbol: string;
  start: number;
}

function openGaps(events: TgEvent[]): OpenGap[] {
  const open = new Map<string, OpenGap>();
  for (const e of events) {
    if (e.type === 'COLLECTOR_DOWN') for (const g of e.gaps) open.set(g.gapId, g);
    if (e.type === 'COLLECTOR_UP') for (const g of e.closed) open.delete(g.gapId);
    if (e.type === 'GAP_CLOSED') open.delete(e.gapId);
  }
  return [...open.values()];
}

/** Replays the gap events: unique ids, one open gap per symbol, closes match opens, no overlap. */
function checkGapHistory(events: TgEvent[]): void {
  const open = new Map<string, OpenGap>();
  const lastEnd = new Map<string, number>();
  const ids = new Set<string>();
  for (const e of events) {
    if (e.type === 'COLLECTOR_DOWN') {
      for (const g of e.gaps) {
        expect(ids.has(g.gapId), `gap id ${g.gapId} reused`).toBe(false);
        ids.add(g.gapId);
        expect(open.has(g.symbol), `second open gap for ${g.symbol}`).toBe(false);
        expect(g.start).toBeGreaterThanOrEqual(lastEnd.get(g.symbol) ?? -Infinity);
        expect(g.start).toBeLessThanOrEqual(e.detectedAt);
        open.set(g.symbol, g);
      }
    }
    const closes =
      e.type === 'COLLECTOR_UP'
        ? e.closed
        : e.type === 'GAP_CLOSED'
          ? [{ gapId: e.gapId, symbol: e.symbol, end: e.end }]
          : [];
    {
      for (const c of closes) {
        expect(open.get(c.symbol)?.gapId, `closing ${c.gapId}, which is not open`).toBe(c.gapId);
        expect(c.end).toBeGreaterThanOrEqual(open.get(c.symbol)!.start);
        lastEnd.set(c.symbol, c.end);
        open.delete(c.symbol);
      }
    }
  }
}
