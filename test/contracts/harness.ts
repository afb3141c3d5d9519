// What every contract suite gets from the adapter under test: the port, a way to let time pass
// (virtual for memory adapters, real sleeps for live ones), optional fault injection, cleanup.
import type { SimulatedClock } from 'xstate';
import type { Clock } from '../../ports/clock.ts';
import type { DependencyGate } from '../../ports/memory/dependencyGate.ts';
import { flushMicrotasks, ManualClock } from './manualClock.ts';

export interface Faults {
  /** Make the dependency unreachable: `refuse` rejects at once, `timeout` after `timeoutMs`. */
  down(mode: 'refuse' | 'timeout'): void;
  slow(byMs: number): void;
  up(): void;
  /** How long a call waits before TG_ERR_TIMEOUT in `timeout` mode. */
  timeoutMs: number;
}

export interface Harness<P> {
  port: P;
  /** Let `ms` of (virtual or real) time pass, then let pending continuations run. */
  advance(ms: number): Promise<void>;
  /** Let asynchronous deliveries (Pub/Sub) land without moving virtual time much. */
  settle(): Promise<void>;
  now(): number;
  cleanup(): Promise<void>;
  faults?: Faults;
}

export type MakeHarness<P> = () => Promise<Harness<P>>;

export interface ContractOptions {
  /** Time is virtual: exact-timing assertions and fast-check properties over time are enabled. */
  virtualTime: boolean;
  /** The harness offers `faults`; the fault-injection tests run. */
  faults: boolean;
}

/** A controllable clock in the two flavours the memory suites run with. */
export interface TestClock {
  clock: Clock;
  advance(ms: number): Promise<void>;
}

export function manualTestClock(start = 1_700_000_000_000): TestClock {
  const clock = new ManualClock(start);
  return { clock, advance: (ms) => clock.advance(ms) };
}

/** XState's SimulatedClock: one `increment` per advance (no timer chains in the adapters). */
export function simulatedTestClock(clock: SimulatedClock, start = 1_700_000_000_000): TestClock {
  clock.set(start);
  return {
    clock,
    advance: async (ms) => {
      await flushMicrotasks();
      clock.increment(ms);
      await flushMicrotasks();
    },
  };
}

/** Wrap a memory adapter in a harness over a test clock and (optionally) its dependency gate. */
export function memoryHarness<P>(port: P, time: TestClock, gate?: DependencyGate): Harness<P> {
  return {
    port,
    advance: time.advance,
    settle: flushMicrotasks,
    now: () => time.clock.now(),
    cleanup: async () => undefined,
    faults: gate
      ? {
          down: (mode) => gate.down(mode),
          slow: (byMs) => gate.slow(byMs),
          up: () => gate.up(),
          timeoutMs: gate.defaultTimeoutMs,
        }
      : undefined,
  };
}
