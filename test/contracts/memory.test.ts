// Runs every port contract against the in-memory adapters, once on the test ManualClock (timers at
// their deadlines) and once on XState's SimulatedClock (what machine unit tests use).
import { describe } from 'vitest';
import { SimulatedClock } from 'xstate';
import { DependencyGate } from '../../ports/memory/dependencyGate.ts';
import {
  MemoryEventBus,
  MemoryHeartbeats,
  MemoryRateLimitStore,
  MemorySpool,
  MemoryOutboxStore,
  MemoryStateMirror,
  MemoryStore,
  MemoryTickBuffer,
} from '../../ports/memory/index.ts';
import { eventBusContract } from './eventBus.contract.ts';
import { heartbeatsContract } from './heartbeats.contract.ts';
import { manualTestClock, memoryHarness, simulatedTestClock, type TestClock } from './harness.ts';
import { rateLimitStoreContract } from './rateLimitStore.contract.ts';
import { spoolContract } from './spool.contract.ts';
import { outboxStoreContract } from './outboxStore.contract.ts';
import { stateMirrorContract } from './stateMirror.contract.ts';
import { storeContract } from './store.contract.ts';
import { tickBufferContract } from './tickBuffer.contract.ts';

const options = { virtualTime: true, faults: true };

const clocks: [string, () => TestClock][] = [
  ['manual clock', () => manualTestClock()],
  ['SimulatedClock', () => simulatedTestClock(new SimulatedClock())],
];

for (const [clockName, newClock] of clocks) {
  describe(`memory adapters on ${clockName}`, () => {
    /** Build a harness: adapter behind its own gate on a fresh clock. */
    function harness<P>(
      dependency: string,
      create: (o: { clock: TestClock['clock']; gate: DependencyGate }) => P,
    ) {
      return async () => {
        const time = newClock();
        const gate = new DependencyGate(dependency, time.clock, { timeoutMs: 500 });
        return memoryHarness(create({ clock: time.clock, gate }), time, gate);
      };
    }

    eventBusContract(
      'memory',
      harness('redis-main', (o) => new MemoryEventBus(o)),
      options,
    );
    eventBusContract(
      'memory connection',
      harness('redis-main', (o) => new MemoryEventBus(o).connect()),
      options,
    );
    stateMirrorContract(
      'memory',
      harness('redis-main', (o) => new MemoryStateMirror(o)),
      options,
    );
    heartbeatsContract(
      'memory',
      harness('redis-main', (o) => new MemoryHeartbeats(o)),
      options,
    );
    tickBufferContract(
      'memory',
      harness('redis-main', (o) => new MemoryTickBuffer(o)),
      options,
    );
    spoolContract(
      'memory',
      harness('disk', (o) => new MemorySpool(o)),
    );
    outboxStoreContract(
      'memory',
      harness('disk', () => new MemoryOutboxStore()),
    );
    rateLimitStoreContract(
      'memory',
      harness('redis-gatekeeper', (o) => new MemoryRateLimitStore(o)),
      options,
    );
    storeContract(
      'memory',
      harness('timescaledb', (o) => new MemoryStore(o)),
      options,
    );
  });
}
