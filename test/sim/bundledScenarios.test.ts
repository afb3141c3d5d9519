// Every bundled scenario (except the full-market day, which is a benchmark) meets its own `expect`.
import { describe, expect, it } from 'vitest';
import { loadScenarios } from '../../sim/scenario/load.ts';
import { runScenario } from '../../sim/world/runScenario.ts';

const scenarios = loadScenarios(['scenarios']).filter((s) => s.name !== 'full-market-day');

describe('bundled scenarios', () => {
  it('has the scenario library of the issue', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(13);
  });

  for (const scenario of scenarios) {
    it(`${scenario.name} meets its expectations`, async () => {
      const report = await runScenario(scenario);
      expect(report.failedExpectations.map((f) => f.message)).toEqual([]);
      expect(report.metrics.invariantViolations).toEqual([]);
      expect(report.passed).toBe(true);
    });
  }
});
