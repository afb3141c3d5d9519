// The component dependency graph (DESIGN section 1) as plain data: validated once (unknown names and
// cycles are coded errors), then queried for restart order, dependents and blocking hard deps. Pure.
import { TgError } from './errors.ts';
import type { ViewState } from './types.ts';

export interface DependencySpec {
  id: string;
  hardDeps: readonly string[];
  softDeps: readonly string[];
}

/** Serializable (it lives in machine context). */
export interface DependencyGraph {
  /** Topological: every component after all its dependencies; ties keep config order. */
  order: string[];
  hard: Record<string, string[]>;
  soft: Record<string, string[]>;
  /** Direct dependents (hard or soft), in topological order. */
  dependents: Record<string, string[]>;
}

/** A dependency in one of these states blocks restarts of its hard dependents. */
export function isDownState(state: ViewState | undefined): boolean {
  return state === 'down' || state === 'failed';
}

function checkKnown(components: readonly DependencySpec[]): void {
  const ids = new Set<string>();
  for (const c of components) {
    if (ids.has(c.id)) {
      throw new TgError('TG_ERR_CONFIG', `component "${c.id}" is listed twice; fix: keep one entry per id`, {
        component: c.id,
      });
    }
    ids.add(c.id);
  }
  for (const c of components) {
    for (const [kind, deps] of [
      ['hard', c.hardDeps],
      ['soft', c.softDeps],
    ] as const) {
      for (const dep of deps) {
        if (ids.has(dep)) continue;
        throw new TgError(
          'TG_ERR_DEP_UNKNOWN',
          `component "${c.id}" has ${kind} dependency "${dep}", which is not a component; ` +
            `fix: add a component "${dep}" or correct the name (known: ${[...ids].join(', ')})`,
          { component: c.id, dependency: dep, kind },
        );
      }
    }
  }
}

/** The first cycle found by depth-first search, as a closed path ['a', 'b', 'a']. */
function findCycle(components: readonly DependencySpec[]): string[] | undefined {
  const deps = new Map(components.map((c) => [c.id, [...c.hardDeps, ...c.softDeps]]));
  const color = new Map<string, 'grey' | 'black'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    color.set(id, 'grey');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (color.get(dep) === 'grey') return [...stack.slice(stack.indexOf(dep)), dep];
      if (!color.has(dep)) {
        const found = visit(dep);
        if (found) return found;
      }
    }
    stack.pop();
    color.set(id, 'black');
    return undefined;
  };
  for (const c of components) {
    if (color.has(c.id)) continue;
    const found = visit(c.id);
    if (found) return found;
  }
  return undefined;
}

/** Validate and index the graph; throws TG_ERR_DEP_UNKNOWN, TG_ERR_DEP_CYCLE or TG_ERR_CONFIG. */
export function buildDependencyGraph(components: readonly DependencySpec[]): DependencyGraph {
  checkKnown(components);
  const cycle = findCycle(components);
  if (cycle) {
    throw new TgError(
      'TG_ERR_DEP_CYCLE',
      `dependency cycle ${cycle.join(' -> ')}; fix: remove one of these dependencies (a component cannot wait for itself)`,
      { cycle },
    );
  }
  // Kahn's algorithm, always taking the earliest ready component in config order: deterministic.
  const remaining = new Map(components.map((c) => [c.id, new Set([...c.hardDeps, ...c.softDeps])]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const next = components.find((c) => remaining.get(c.id)?.size === 0);
    if (!next) break; // unreachable: cycles were rejected above
    order.push(next.id);
    remaining.delete(next.id);
    for (const deps of remaining.values()) deps.delete(next.id);
  }
  const rank = new Map(order.map((id, i) => [id, i]));
  const hard: Record<string, string[]> = {};
  const soft: Record<string, string[]> = {};
  const dependents: Record<string, string[]> = {};
  for (const c of components) {
    hard[c.id] = [...c.hardDeps];
    soft[c.id] = [...c.softDeps];
    dependents[c.id] = [];
  }
  for (const c of components)
    for (const dep of new Set([...c.hardDeps, ...c.softDeps])) dependents[dep].push(c.id);
  for (const id of order) dependents[id].sort((a, b) => rank.get(a)! - rank.get(b)!);
  return { order, hard, soft, dependents };
}

/** Components in start order (dependencies first). */
export function topologicalOrder(graph: DependencyGraph): string[] {
  return [...graph.order];
}

/** Everything that depends on `id`, directly or (with `transitive`) through others, in topological order. */
export function dependentsOf(graph: DependencyGraph, id: string, transitive = false): string[] {
  if (!transitive) return [...(graph.dependents[id] ?? [])];
  const seen = new Set<string>();
  const queue = [...(graph.dependents[id] ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...(graph.dependents[next] ?? []));
  }
  return graph.order.filter((c) => seen.has(c));
}

/** Hard dependencies of `component` that are down (or failed) in `health`, in topological order. */
export function hardDepsDown(
  graph: DependencyGraph,
  component: string,
  health: Readonly<Record<string, ViewState | undefined>>,
): string[] {
  return (graph.hard[component] ?? []).filter((dep) => isDownState(health[dep]));
}
