// The dependency graph: validation errors, start order, dependents and the hard dependencies that
// block a restart.
import { describe, expect, it } from 'vitest';
import { defaultConfig, withCollectors } from '../../machines/config.ts';
import {
  buildDependencyGraph,
  dependentsOf,
  hardDepsDown,
  topologicalOrder,
} from '../../machines/dependencyGraph.ts';
import { isTgError } from '../../machines/errors.ts';

const graph = () => buildDependencyGraph(withCollectors(defaultConfig(), ['kis-1', 'kiwoom-1']).components);

describe('buildDependencyGraph', () => {
  it('orders every component after all of its dependencies', () => {
    const g = graph();
    const order = topologicalOrder(g);
    for (const id of order) {
      for (const dep of [...g.hard[id], ...g.soft[id]])
        expect(order.indexOf(dep)).toBeLessThan(order.indexOf(id));
    }
    expect(order).toHaveLength(9);
  });

  it('keeps config order between independent components (deterministic)', () => {
    const g = buildDependencyGraph([
      { id: 'z', hardDeps: [], softDeps: [] },
      { id: 'y', hardDeps: ['x'], softDeps: [] },
      { id: 'x', hardDeps: [], softDeps: [] },
    ]);
    expect(g.order).toEqual(['z', 'x', 'y']);
  });

  it('names the component and the unknown dependency', () => {
    try {
      buildDependencyGraph([{ id: 'writer', hardDeps: ['timescale'], softDeps: [] }]);
      expect.unreachable();
    } catch (e) {
      expect(isTgError(e, 'TG_ERR_DEP_UNKNOWN')).toBe(true);
      expect((e as Error).message).toMatch(/"writer" has hard dependency "timescale"/);
    }
  });

  it('names the cycle, including a self-dependency', () => {
    expect(() => buildDependencyGraph([{ id: 'a', hardDeps: ['a'], softDeps: [] }])).toThrow(/cycle a -> a/);
    try {
      buildDependencyGraph([
        { id: 'p', hardDeps: [], softDeps: [] },
        { id: 'q', hardDeps: ['r'], softDeps: [] },
        { id: 'r', hardDeps: ['q'], softDeps: [] },
      ]);
      expect.unreachable();
    } catch (e) {
      expect(isTgError(e, 'TG_ERR_DEP_CYCLE')).toBe(true);
      expect((e as Error).message).toContain('q -> r -> q');
    }
  });
});

describe('dependentsOf', () => {
  it('lists direct dependents, hard and soft, in start order', () => {
    expect(dependentsOf(graph(), 'redis-main')).toEqual(['writer', 'collector:kis-1', 'collector:kiwoom-1']);
    expect(dependentsOf(graph(), 'redis-gatekeeper')).toEqual(['recovery-worker']);
  });

  it('follows chains when asked for transitive dependents', () => {
    const g = buildDependencyGraph([
      { id: 'db', hardDeps: [], softDeps: [] },
      { id: 'api', hardDeps: ['db'], softDeps: [] },
      { id: 'ui', hardDeps: ['api'], softDeps: [] },
    ]);
    expect(dependentsOf(g, 'db')).toEqual(['api']);
    expect(dependentsOf(g, 'db', true)).toEqual(['api', 'ui']);
  });
});

describe('hardDepsDown', () => {
  it('reports hard dependencies that are down or failed, ignoring soft ones and other states', () => {
    const g = graph();
    expect(hardDepsDown(g, 'writer', { 'redis-main': 'down', timescaledb: 'healthy' })).toEqual([
      'redis-main',
    ]);
    expect(hardDepsDown(g, 'writer', { 'redis-main': 'degraded', timescaledb: 'failed' })).toEqual([
      'timescaledb',
    ]);
    expect(hardDepsDown(g, 'recovery-worker', { 'redis-gatekeeper': 'down' })).toEqual([]);
    expect(hardDepsDown(g, 'writer', { 'redis-main': 'recovering' })).toEqual([]);
  });
});
