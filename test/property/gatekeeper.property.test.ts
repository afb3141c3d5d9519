// Invariant 3 (DESIGN section 10) under random store outages, slowness, supervisor mode switches,
// broker rejections and requests from N clients: no 1000 ms window ever holds more grants than the
// limit, every client grants locally while the store is down, and local shares sum to <= limit*safety.
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createGatekeeperWorld, maxInWindow, type GatekeeperWorld } from '../unit/gatekeeperHarness.ts';

const numRuns = Number(process.env.TG_PROPERTY_RUNS ?? 200);
const SLOW_CALL_MS = 100;

type Action =
  | { kind: 'request'; client: number; count: number }
  | { kind: 'down'; mode: 'refuse' | 'timeout' }
  | { kind: 'slow'; byMs: number }
  | { kind: 'up' }
  | { kind: 'reject'; client: number; retryAfterMs: number }
  | { kind: 'supervisor'; client: number; mode: 'global' | 'local' };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('request' as const),
      client: fc.nat(7),
      count: fc.integer({ min: 1, max: 6 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('down' as const),
      mode: fc.constantFrom('refuse' as const, 'timeout' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('slow' as const), byMs: fc.integer({ min: 10, max: 600 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('up' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reject' as const),
      client: fc.nat(7),
      retryAfterMs: fc.integer({ min: 0, max: 1500 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('supervisor' as const),
      client: fc.nat(7),
      mode: fc.constantFrom('global' as const, 'local' as const),
    }),
  },
);

const scenarioArb = fc.record({
  ratePerSec: fc.constantFrom(2, 5, 10, 20),
  clients: fc.integer({ min: 1, max: 4 }),
  steps: fc.array(fc.record({ dt: fc.integer({ min: 0, max: 900 }), action: actionArb }), {
    minLength: 1,
    maxLength: 30,
  }),
});

let world: GatekeeperWorld | undefined;
afterEach(() => {
  world?.dispose();
  world = undefined;
});

describe('gatekeeper invariant 3', () => {
  it('never grants more than the limit in any second, and is local while the store is down', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ ratePerSec, clients, steps }) => {
        world?.dispose();
        const w = (world = await createGatekeeperWorld({
          clients,
          ratePerSec,
          config: { slowCallMs: SLOW_CALL_MS },
        }));
        let downSince: number | undefined;
        const violations: string[] = [];
        const limitTimesSafety = ratePerSec * w.config.gatekeeper.safety;
        const grantCount = () => w.grants.length;
        let checked = 0;
        const checkNewGrants = () => {
          for (; checked < grantCount(); checked++) {
            const g = w.grants[checked];
            // Calls admitted just before the outage may still complete; after slowCallMs none can.
            if (downSince !== undefined && g.at >= downSince + SLOW_CALL_MS && g.mode !== 'local') {
              violations.push(`global grant at ${g.at} while the store is down since ${downSince}`);
            }
          }
          const localSum = w.clients.reduce(
            (sum, c) => sum + (c.mode() === 'local' ? c.localRatePerSec() : 0),
            0,
          );
          if (localSum > limitTimesSafety + 1e-9) violations.push(`local rates sum to ${localSum}`);
        };
        const stop = w.kernel.onStep(checkNewGrants);
        for (const { dt, action } of steps) {
          await w.run(dt);
          const now = w.kernel.now();
          switch (action.kind) {
            case 'request':
              w.request(action.client % clients, action.count);
              break;
            case 'down':
              w.gate.down(action.mode);
              downSince ??= now;
              break;
            case 'slow':
              w.gate.slow(action.byMs);
              downSince = undefined;
              break;
            case 'up':
              w.gate.up();
              downSince = undefined;
              break;
            case 'reject':
              w.clients[action.client % clients].reportRejection(action.retryAfterMs);
              break;
            case 'supervisor':
              w.clients[action.client % clients].setMode(action.mode);
              break;
          }
        }
        await w.run(3000);
        stop();
        checkNewGrants();
        expect(violations).toEqual([]);
        expect(maxInWindow(w.grants.map((g) => g.at))).toBeLessThanOrEqual(ratePerSec);
      }),
      { numRuns },
    );
  });

  it('lets every queued request through once the store is back (no lost waiters)', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ ratePerSec, clients, steps }) => {
        world?.dispose();
        const w = (world = await createGatekeeperWorld({ clients, ratePerSec }));
        let requested = 0;
        for (const { dt, action } of steps) {
          await w.run(dt);
          if (action.kind === 'request') {
            w.request(action.client % clients, action.count);
            requested += action.count;
          } else if (action.kind === 'down') w.gate.down(action.mode);
          else if (action.kind === 'up' || action.kind === 'slow') w.gate.up();
        }
        w.gate.up();
        // Worst case everything waits at the slowest share after a halving: bounded, not infinite.
        await w.run(Math.ceil((requested / (ratePerSec * 0.1)) * 1000) + 5000);
        expect(w.grants).toHaveLength(requested);
      }),
      { numRuns: Math.max(1, Math.floor(numRuns / 4)) },
    );
  });
});
