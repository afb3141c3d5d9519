// Scenario files: every line of the DESIGN section 9 example parses to the typed Scenario, faults
// expand deterministically, symbols are dealt by volume under session caps, and the bundled
// library is valid.
import { describe, expect, it } from 'vitest';
import { kstTime } from '../../machines/marketHours.ts';
import { buildUniverse } from '../../sim/exchange/universe.ts';
import { createRng } from '../../sim/kernel/rng.ts';
import { collectorSlots, dealSymbols } from '../../sim/scenario/deal.ts';
import { expandFaults, lastFaultEnd } from '../../sim/scenario/expand.ts';
import { loadScenarios } from '../../sim/scenario/load.ts';
import { DEFAULT_SCENARIO_DATE, parseScenario } from '../../sim/scenario/parse.ts';
import { parseDuration } from '../../sim/scenario/units.ts';

const DESIGN_EXAMPLE = `name: collector-crash
seed: 7
market: { symbols: 200, from: "09:00", to: "10:30" }   # KST; or symbols: [005930, 000660, ...]
collectors: { kis: 2, kiwoom: 1, redundancy: 1 }  # collector:kis-1, kis-2, kiwoom-1; symbols are
  # dealt by volume rank, each to \`redundancy\` collectors of different brokers, at most the
  # broker's session cap each (KIS 41); uncovered symbols are reported, not silently dropped
broker: { rateLimitPerSec: 20, barsPerRequest: 30, reject: kis }  # kis: HTTP 500 + EGW00201;
  # http429: HTTP 429. Optional sanctions: { banAfterRejections: 10, banFor: 60s }
config: { heartbeatIntervalMs: 1000 }                   # overrides of tickguard config
faults:
  - { at: "09:10:00", kill: collector:kis-1 }            # process exits (the platform restarts it)
  - { at: "09:15:00", kill: collector:kis-2, repeat: { every: 10s, for: 2m } }  # any fault may repeat
  - { at: "09:20:00", down: redis-gatekeeper, for: 5m }  # dependency unavailable
  - { at: "09:40:00", hang: collector:kiwoom-1, for: 3m }  # stopped like SIGSTOP: alive, silent;
      # data queues in its socket and arrives late if it resumes; only the supervisor can tell
  - { at: "09:50:00", slow: timescaledb, by: 800ms, for: 2m }
  - { at: "10:00:00", flap: redis-main, every: 20s, for: 2m }  # down/up every 20 s
  - { at: "10:10:00", drop: broker-ws, ratio: 0.01, for: 5m }   # silently lose 1% of messages
expect: { completeness: 1.0, brokerRejections: 0, ticksLost: 0, "detectionLatencyMs.max": 5000 }
`;

const t = (hhmmss: string) => kstTime(DEFAULT_SCENARIO_DATE, hhmmss);

describe('scenario parsing', () => {
  it('parses every line of the DESIGN example', () => {
    const s = parseScenario(DESIGN_EXAMPLE, 'example.yaml');
    expect(s.name).toBe('collector-crash');
    expect(s.seed).toBe(7);
    expect(s.market).toEqual({
      symbols: { count: 200 },
      from: '09:00:00',
      to: '10:30:00',
      date: DEFAULT_SCENARIO_DATE,
      fromMs: t('09:00'),
      toMs: t('10:30'),
    });
    expect(s.collectors).toEqual({ kis: 2, kiwoom: 1, redundancy: 1, names: ['kis-1', 'kis-2', 'kiwoom-1'] });
    expect(s.broker).toEqual({ rateLimitPerSec: 20, barsPerRequest: 30, reject: 'kis' });
    expect(s.config).toEqual({ heartbeatIntervalMs: 1000 });
    const brief = s.faults.map(({ kind, target, at, forMs, byMs, everyMs, ratio, repeat }) => ({
      kind,
      target,
      at,
      forMs,
      byMs,
      everyMs,
      ratio,
      repeat,
    }));
    expect(brief).toEqual(
      [
        { kind: 'kill', target: 'collector:kis-1', at: '09:10:00' },
        {
          kind: 'kill',
          target: 'collector:kis-2',
          at: '09:15:00',
          repeat: { everyMs: 10_000, forMs: 120_000 },
        },
        { kind: 'down', target: 'redis-gatekeeper', at: '09:20:00', forMs: 300_000 },
        { kind: 'hang', target: 'collector:kiwoom-1', at: '09:40:00', forMs: 180_000 },
        { kind: 'slow', target: 'timescaledb', at: '09:50:00', forMs: 120_000, byMs: 800 },
        { kind: 'flap', target: 'redis-main', at: '10:00:00', forMs: 120_000, everyMs: 20_000 },
        { kind: 'drop', target: 'broker-ws', at: '10:10:00', forMs: 300_000, ratio: 0.01 },
      ].map((f) => ({
        forMs: undefined,
        byMs: undefined,
        everyMs: undefined,
        ratio: undefined,
        repeat: undefined,
        ...f,
      })),
    );
    expect(s.faults.map((f) => f.line)).toEqual([11, 12, 13, 14, 16, 17, 18]);
    expect(s.faults[0].atMs).toBe(t('09:10'));
    expect(s.expect.map(({ metric, min, max }) => ({ metric, min, max }))).toEqual([
      { metric: 'completeness', min: 1, max: undefined },
      { metric: 'brokerRejections', min: undefined, max: 0 },
      { metric: 'ticksLost', min: undefined, max: 0 },
      { metric: 'detectionLatencyMs.max', min: undefined, max: 5000 },
    ]);
  });

  it('keeps leading zeros of listed symbols and reads sanctions, dates and explicit bounds', () => {
    const s = parseScenario(
      `name: listed
market: { symbols: [005930, 000660, "000020"], from: "09:00", to: "09:30:30", date: "2025-06-04" }
collectors: { kis: 1, kiwoom: 1, redundancy: 2 }
broker: { reject: http429, sanctions: { banAfterRejections: 10, banFor: 60s } }
expect:
  detectionLatencyMs.p99: { max: 3000 }
  escalations: { min: 1, max: 1 }
  invariantViolations: none
  timeToFullRecoveryMs: { maxRatioToLowerBound: 1.1, slackMs: 500 }
`,
      'listed.yaml',
    );
    expect(s.seed).toBe(1);
    expect(s.market.symbols).toEqual({ list: ['005930', '000660', '000020'] });
    expect(s.market.to).toBe('09:30:30');
    expect(s.market.fromMs).toBe(kstTime('2025-06-04', '09:00'));
    expect(s.broker).toEqual({
      rateLimitPerSec: 20,
      barsPerRequest: 30,
      reject: 'http429',
      sanctions: { banAfterRejections: 10, banForMs: 60_000 },
    });
    expect(s.expect.map(({ line: _line, ...e }) => e)).toEqual([
      { metric: 'detectionLatencyMs.p99', max: 3000 },
      { metric: 'escalations', min: 1, max: 1 },
      { metric: 'invariantViolations', max: 0 },
      { metric: 'timeToFullRecoveryMs', maxRatioToLowerBound: 1.1, slackMs: 500 },
    ]);
  });

  it('reads durations in ms, s, m, h and combinations', () => {
    expect(['800ms', '10s', '2m', '1h', '1m30s', '0.5s'].map(parseDuration)).toEqual([
      800, 10_000, 120_000, 3_600_000, 90_000, 500,
    ]);
    expect(['10', 's', '-1s', '0s', '10 sec'].map(parseDuration)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('fault expansion', () => {
  it('expands repeat and flap into sorted concrete intervals', () => {
    const s = parseScenario(DESIGN_EXAMPLE, 'example.yaml');
    const faults = expandFaults(s);
    const kills = faults.filter((f) => f.target === 'collector:kis-2');
    expect(kills).toHaveLength(12);
    expect(kills.map((f) => f.at)).toEqual(Array.from({ length: 12 }, (_, i) => t('09:15') + i * 10_000));
    expect(kills.every((f) => f.kind === 'kill' && f.until === undefined)).toBe(true);
    const flaps = faults.filter((f) => f.target === 'redis-main');
    expect(flaps.map((f) => [f.at - t('10:00'), f.until! - t('10:00'), f.kind])).toEqual([
      [0, 20_000, 'down'],
      [40_000, 60_000, 'down'],
      [80_000, 100_000, 'down'],
    ]);
    expect(faults.find((f) => f.kind === 'slow')!.params).toEqual({ byMs: 800 });
    expect(faults.find((f) => f.kind === 'drop')!.params).toEqual({ ratio: 0.01 });
    const starts = faults.map((f) => f.at);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(lastFaultEnd(faults)).toBe(t('10:15'));
    expect(expandFaults(s)).toEqual(faults);
  });

  it('clips the last flap phase to the fault duration', () => {
    const s = parseScenario(
      `name: f
market: { symbols: 5, from: "09:00", to: "09:10" }
collectors: { kis: 1 }
faults:
  - { at: "09:01:00", flap: redis-main, every: 20s, for: 50s }
`,
      'f.yaml',
    );
    expect(expandFaults(s).map((f) => [f.at - t('09:01'), f.until! - t('09:01')])).toEqual([
      [0, 20_000],
      [40_000, 50_000],
    ]);
  });
});

describe('dealing symbols to collectors', () => {
  const universe = buildUniverse({ count: 200 }, { rng: createRng(3) });

  it('gives each collector at most its session cap and reports the uncovered symbols', () => {
    const deal = dealSymbols({
      symbols: universe,
      collectors: collectorSlots({ kis: 2, kiwoom: 0 }),
      redundancy: 1,
    });
    expect(deal.assignments.get('kis-1')).toHaveLength(41);
    expect(deal.assignments.get('kis-2')).toHaveLength(41);
    expect(deal.uncovered).toHaveLength(200 - 82);
    // Busiest symbols are dealt first, so the uncovered ones are the least traded.
    expect(deal.uncovered).toEqual(universe.slice(82).map((s) => s.code));
    expect(deal.assignments.get('kis-1')![0]).toBe('005930');
    expect(deal.assignments.get('kis-2')![0]).toBe('000660');
  });

  it('puts each symbol on `redundancy` collectors of different brokers', () => {
    const deal = dealSymbols({
      symbols: universe.slice(0, 80),
      collectors: collectorSlots({ kis: 2, kiwoom: 1 }),
      redundancy: 2,
    });
    expect(deal.uncovered).toEqual([]);
    expect(deal.underCovered).toEqual([]);
    for (const [, collectors] of deal.coverage) {
      expect(collectors).toHaveLength(2);
      expect(new Set(collectors.map((c) => c.split('-')[0])).size).toBe(2);
    }
    expect(deal.assignments.get('kiwoom-1')).toHaveLength(80);
  });

  it('reports symbols that could get fewer collectors than asked', () => {
    const deal = dealSymbols({
      symbols: universe.slice(0, 50),
      collectors: collectorSlots({ kis: 1, kiwoom: 1 }),
      redundancy: 2,
    });
    expect(deal.underCovered).toEqual(universe.slice(41, 50).map((s) => s.code));
    expect(deal.uncovered).toEqual([]);
  });
});

describe('bundled scenario library', () => {
  const library = loadScenarios(['scenarios', 'scenarios/full-day']);

  it('holds the drafted scenarios, each with expectations', () => {
    expect(library.map((s) => s.name).sort()).toEqual(
      [
        'broker-rest-down',
        'broker-ws-down',
        'cascade',
        'collector-crash',
        'collector-hang',
        'crash-loop',
        'full-market-day',
        'recovery-worker-crash',
        'redis-gatekeeper-down',
        'redis-main-down',
        'redundant-feeds',
        'short-pause',
        'timescaledb-down',
        'ws-silent-drop',
      ].sort(),
    );
    for (const s of library) expect(s.expect.length).toBeGreaterThan(0);
  });

  it('keeps the small scenarios short and covers every symbol in each one', () => {
    for (const s of library) {
      const count = 'count' in s.market.symbols ? s.market.symbols.count : s.market.symbols.list.length;
      const symbols = buildUniverse(s.market.symbols, { rng: createRng(s.seed) });
      const deal = dealSymbols({
        symbols,
        collectors: collectorSlots(s.collectors),
        redundancy: s.collectors.redundancy,
      });
      expect({ name: s.name, uncovered: deal.uncovered.length, under: deal.underCovered.length }).toEqual({
        name: s.name,
        uncovered: 0,
        under: 0,
      });
      if (s.name === 'full-market-day') {
        expect(count).toBe(2539);
        continue;
      }
      expect(count).toBeLessThanOrEqual(200);
      expect(s.market.toMs - s.market.fromMs).toBeLessThanOrEqual(30 * 60_000);
    }
  });
});
