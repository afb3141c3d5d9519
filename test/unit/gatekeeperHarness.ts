// Test world for gatekeeper clients: the simulator kernel (virtual time, microtasks settled after each
// timer), the in-memory rate-limit store behind a fault gate, a heartbeat registry, and grant logs.
import type { AnyStateMachine, EventObject } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { Kernel } from '../../sim/kernel/index.ts';
import { DependencyGate, MemoryHeartbeats, MemoryRateLimitStore } from '../../ports/memory/index.ts';
import {
  createGatekeeperClient,
  type GatekeeperClient,
  type GrantInfo,
} from '../../actors/gatekeeperClient.ts';
import type { GatekeeperConfigSlice } from '../../machines/gatekeeper.ts';

export interface Grant extends GrantInfo {
  client: number;
}

export interface GatekeeperWorld {
  kernel: Kernel;
  gate: DependencyGate;
  store: MemoryRateLimitStore;
  heartbeats: MemoryHeartbeats;
  clients: GatekeeperClient[];
  grants: Grant[];
  config: GatekeeperConfigSlice;
  /** Queue `count` acquires on client `i`; the returned promise settles when all are granted. */
  request(i: number, count?: number): Promise<void>[];
  run(ms: number): Promise<void>;
  dispose(): void;
}

export function gatekeeperConfig(
  ratePerSec: number,
  over: Partial<GatekeeperConfigSlice['gatekeeper']> = {},
) {
  return {
    heartbeatIntervalMs: 1000,
    heartbeatTimeoutMs: 5000,
    gatekeeper: {
      safety: 0.8,
      slowCallMs: 100,
      probeIntervalMs: 1000,
      limits: { kis: { ratePerSec, burst: 1 }, kiwoom: { ratePerSec, burst: 1 } },
      ...over,
    },
  } satisfies GatekeeperConfigSlice;
}

export async function createGatekeeperWorld(opts: {
  clients: number;
  ratePerSec: number;
  config?: Partial<GatekeeperConfigSlice['gatekeeper']>;
}): Promise<GatekeeperWorld> {
  const kernel = new Kernel({ maxTimersPerInstant: 10_000 });
  const clock = kernel.clock;
  const gate = new DependencyGate('redis-gatekeeper', clock);
  const store = new MemoryRateLimitStore({ clock, gate });
  const heartbeats = new MemoryHeartbeats({ clock });
  const config = gatekeeperConfig(opts.ratePerSec, opts.config);
  // Every client is registered before any starts, so each sees N from its first grant.
  for (let i = 0; i < opts.clients; i++) {
    await heartbeats.beat(
      { component: `gatekeeper:kis:c${i}`, at: 0, state: 'healthy', gatekeeperMode: 'global' },
      5000,
    );
  }
  const grants: Grant[] = [];
  const clients = Array.from({ length: opts.clients }, (_, i) =>
    createGatekeeperClient({
      clock,
      store,
      heartbeats,
      config,
      broker: 'kis',
      appKey: 'app-key-under-test',
      clientId: `c${i}`,
      onGrant: (g) => grants.push({ ...g, client: i }),
    }),
  );
  await kernel.settle();
  return {
    kernel,
    gate,
    store,
    heartbeats,
    clients,
    grants,
    config,
    request: (i, count = 1) =>
      Array.from({ length: count }, () => {
        const p = clients[i].acquire();
        p.catch(() => {});
        return p;
      }),
    run: async (ms) => {
      await kernel.runFor(ms);
    },
    dispose: () => {
      for (const c of clients) c.stop();
      kernel.dispose();
    },
  };
}

/** Most grants inside any half-open window [t, t + windowMs). */
export function maxInWindow(times: number[], windowMs = 1000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Every state node path of a machine ('healthy', 'degraded.probing', ...), root excluded. */
export function stateNodePaths(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const walk = (node: AnyStateMachine['root']): void => {
    for (const child of Object.values(node.states)) {
      out.push(child.path.join('.'));
      walk(child);
    }
  };
  walk(machine.root);
  return out;
}

/** State node paths reached by shortest paths over `events` (deduplicated by state value only). */
export function reachedStatePaths(
  machine: AnyStateMachine,
  events: EventObject[],
  input: unknown,
): Set<string> {
  const paths = getShortestPaths(machine, {
    events,
    input,
    serializeState: (s) => JSON.stringify(s.value),
  } as Parameters<typeof getShortestPaths>[1]);
  const reached = new Set<string>();
  for (const path of paths) {
    for (const p of stateNodePaths(machine)) {
      const value = p
        .split('.')
        .reduceRight<unknown>((acc, key) => (acc === undefined ? key : { [key]: acc }), undefined);
      if (path.state.matches(value as never)) reached.add(p);
    }
  }
  return reached;
}
