// Regression: a supervisor killed while redis-main is down must not forget the COLLECTOR_DOWN it
// could not publish yet. Its local-disk outbox brings the event and its gaps to the next life, so
// the gap is back-filled and the day ends complete.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/parse.ts';
import { runScenario } from '../../sim/world/runScenario.ts';

const text = `
name: supervisor-killed-during-redis-outage
seed: 3
market: { symbols: 60, from: "09:00", to: "09:09" }
collectors: { kis: 2, kiwoom: 1, redundancy: 1 }
faults:
  - { at: "09:02:00", down: redis-main, for: 60s }
  - { at: "09:02:20", kill: collector:kis-1 }
  - { at: "09:02:30", hang: collector:kis-2, for: 20s }
  - { at: "09:02:40", kill: supervisor }
expect: { completeness: 1.0, ticksLost: 0, duplicateRows: 0, brokerRejections: 0, invariantViolations: none }
`;

describe('supervisor outbox across a restart', () => {
  it('republishes an unpublished COLLECTOR_DOWN and the gap is back-filled', async () => {
    const report = await runScenario(parseScenario(text, 'outbox.yaml'));
    expect(report.failedExpectations).toEqual([]);
    expect(report.metrics.gapMinutes.truth).toBeGreaterThan(0);
    expect(report.metrics.backfillRequests).toBeGreaterThan(0);
    expect(report.timeline.some((t) => t.detail.startsWith('COLLECTOR_DOWN'))).toBe(true);
  });
});
