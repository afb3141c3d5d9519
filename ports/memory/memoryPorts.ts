// One call that builds every in-memory adapter behind the gate of the dependency it lives on
// (DESIGN section 3): redis-main for bus/mirror/heartbeats/ticks, redis-gatekeeper, timescaledb.
import type { Clock } from '../clock.ts';
import { createDependencyGates, type DependencyGateOptions, type DependencyGates } from './dependencyGate.ts';
import { MemoryEventBus } from './memoryEventBus.ts';
import { MemoryHeartbeats } from './memoryHeartbeats.ts';
import { MemoryRateLimitStore } from './memoryRateLimitStore.ts';
import { MemorySpools } from './memorySpool.ts';
import { MemoryStateMirror } from './memoryStateMirror.ts';
import { MemoryStore } from './memoryStore.ts';
import { MemoryTickBuffer } from './memoryTickBuffer.ts';

export interface MemoryPorts {
  gates: DependencyGates;
  eventBus: MemoryEventBus;
  mirror: MemoryStateMirror;
  heartbeats: MemoryHeartbeats;
  tickBuffer: MemoryTickBuffer;
  /** Disk spools per collector name: no gate (local disk outlives redis outages and process kills). */
  spools: MemorySpools;
  rateLimitStore: MemoryRateLimitStore;
  store: MemoryStore;
}

export function createMemoryPorts(clock: Clock, gateOptions: DependencyGateOptions = {}): MemoryPorts {
  const gates = createDependencyGates(clock, gateOptions);
  const redis = { clock, gate: gates['redis-main'] };
  return {
    gates,
    eventBus: new MemoryEventBus(redis),
    mirror: new MemoryStateMirror(redis),
    heartbeats: new MemoryHeartbeats(redis),
    tickBuffer: new MemoryTickBuffer(redis),
    spools: new MemorySpools({ clock }),
    rateLimitStore: new MemoryRateLimitStore({ clock, gate: gates['redis-gatekeeper'] }),
    store: new MemoryStore({ clock, gate: gates.timescaledb }),
  };
}
