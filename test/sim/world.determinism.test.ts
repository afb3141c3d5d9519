// One seed, one trace: running a scenario twice gives byte-identical reports apart from wallMs.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario/parse.ts';
import { runScenario } from '../../sim/world/runScenario.ts';
import { reportsToJson } from '../../sim/report/json.ts';
import type { Report } from '../../sim/report/types.ts';

const text = `
name: determinism
seed: 5
market: { symbols: 30, from: "09:00", to: "09:06" }
collectors: { kis: 2, redundancy: 1 }
faults:
  - { at: "09:02:00", kill: collector:kis-1 }
  - { at: "09:03:00", down: redis-main, for: 20s }
expect: { completeness: 1.0 }
`;

function withoutWall(r: Report): string {
  return reportsToJson([{ ...r, wallMs: 0 }]);
}

describe('simulator determinism', () => {
  it('gives the same report for the same seed, byte for byte apart from wallMs', async () => {
    const scenario = parseScenario(text, 'determinism.yaml');
    const a = await runScenario(scenario, { seed: 5 });
    const b = await runScenario(scenario, { seed: 5 });
    expect(withoutWall(a)).toBe(withoutWall(b));
    expect(a.timeline.length).toBeGreaterThan(5);
  });

  it('gives a different trace for a different seed', async () => {
    const scenario = parseScenario(text, 'determinism.yaml');
    const a = await runScenario(scenario, { seed: 5 });
    const c = await runScenario(scenario, { seed: 6 });
    expect(withoutWall(a)).not.toBe(withoutWall(c));
  });
});
