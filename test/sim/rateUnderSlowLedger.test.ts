// Regression: heavy back-fill (20 % of WebSocket messages dropped) while the ledger is slow must
// never exceed the broker's limit. A token used later than granted once let 21 requests into one
// second and drew a rejection.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/parse.ts';
import { runScenario } from '../../sim/world/runScenario.ts';

const text = `
name: rate-under-slow-ledger
seed: 1
market: { symbols: 20, from: "09:00", to: "09:09" }
collectors: { kis: 2, kiwoom: 1, redundancy: 1 }
faults:
  - { at: "09:01:00", drop: broker-ws, ratio: 0.01, for: 60s }
  - { at: "09:02:00", drop: broker-ws, ratio: 0.2, for: 60s }
  - { at: "09:02:05", slow: timescaledb, by: 50ms, for: 56s }
expect: { completeness: 1.0, brokerRejections: 0, ticksLost: 0, duplicateRows: 0, invariantViolations: none }
`;

describe('gatekeeper spacing under a slow ledger', () => {
  it('keeps every second at or under the limit with zero rejections', async () => {
    const report = await runScenario(parseScenario(text, 'rate.yaml'));
    expect(report.metrics.backfillRequests).toBeGreaterThan(100);
    expect(report.metrics.maxRequestsInAnySecond).toBeLessThanOrEqual(20);
    expect(report.failedExpectations).toEqual([]);
  });
});
