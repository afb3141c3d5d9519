// Fault timeline: `repeat` and `flap` expanded into concrete intervals, sorted and deterministic,
// for the world wiring to switch faults on (at `at`) and off (at `until`).
import type { ConcreteFault, FaultSpec, Scenario } from './types.ts';

/** Every fault interval of the scenario, sorted by start, then file order, then kind. */
export function expandFaults(scenario: Pick<Scenario, 'faults'>): ConcreteFault[] {
  const out: ConcreteFault[] = [];
  for (const spec of scenario.faults) {
    for (const start of occurrences(spec)) out.push(...intervalsAt(spec, start));
  }
  return out.sort((a, b) => a.at - b.at || a.source - b.source || a.kind.localeCompare(b.kind));
}

/** Start times of a fault: once, or every `repeat.every` while strictly inside `repeat.for`. */
function occurrences(spec: FaultSpec): number[] {
  if (!spec.repeat) return [spec.atMs];
  const starts: number[] = [];
  for (let t = spec.atMs; t < spec.atMs + spec.repeat.forMs; t += spec.repeat.everyMs) starts.push(t);
  return starts;
}

function intervalsAt(spec: FaultSpec, start: number): ConcreteFault[] {
  const base = { target: spec.target, source: spec.index };
  switch (spec.kind) {
    case 'kill':
      return [{ ...base, at: start, kind: 'kill', params: {} }];
    case 'flap': {
      // Down for `every`, up for `every`, ... until `for` has elapsed (the last down phase is clipped).
      const every = spec.everyMs!;
      const end = start + spec.forMs!;
      const downs: ConcreteFault[] = [];
      for (let t = start; t < end; t += 2 * every) {
        downs.push({ ...base, at: t, until: Math.min(t + every, end), kind: 'down', params: {} });
      }
      return downs;
    }
    case 'slow':
      return [{ ...base, at: start, until: start + spec.forMs!, kind: 'slow', params: { byMs: spec.byMs } }];
    case 'drop':
      return [
        { ...base, at: start, until: start + spec.forMs!, kind: 'drop', params: { ratio: spec.ratio } },
      ];
    default:
      return [{ ...base, at: start, until: start + spec.forMs!, kind: spec.kind, params: {} }];
  }
}

/** When the last fault interval ends (a kill ends when it happens); null without faults. */
export function lastFaultEnd(faults: ConcreteFault[]): number | null {
  if (faults.length === 0) return null;
  return Math.max(...faults.map((f) => f.until ?? f.at));
}
