// Fault injection shared by the in-memory adapters: one gate per simulated dependency (redis-main,
// redis-gatekeeper, timescaledb) decides, on the Clock, whether a call goes through, waits, or fails.
import { TgError } from '../../machines/errors.ts';
import type { Clock } from '../clock.ts';

export type DependencyName = 'redis-main' | 'redis-gatekeeper' | 'timescaledb' | (string & {});

/**
 * `refuse`: the server process is gone, calls reject at once (ECONNREFUSED).
 * `timeout`: the host is unreachable, calls hang and reject after `timeoutMs` on the Clock.
 */
export type DownMode = 'refuse' | 'timeout';

export type GateState =
  { kind: 'up' } | { kind: 'down'; mode: DownMode; timeoutMs: number } | { kind: 'slow'; byMs: number };

export interface GateStats {
  /** Every call that reached the gate, whatever became of it. */
  calls: number;
  /** Calls that went through to the adapter (possibly after a slow delay). */
  passed: number;
  refused: number;
  timedOut: number;
}

export interface DependencyGateOptions {
  /** Default wait before a call to an unreachable host rejects (`down` in `timeout` mode). */
  timeoutMs?: number;
}

export const DEFAULT_GATE_TIMEOUT_MS = 1000;

/**
 * The gate is consulted once, when a call arrives. A call that was admitted (or is already
 * waiting out a `slow` delay) completes even if the gate goes down meanwhile; a call waiting to
 * time out still times out if the gate comes back up. This keeps the model simple and the
 * outcome of every call fixed at the moment it was made.
 */
export class DependencyGate {
  readonly name: DependencyName;
  private readonly clock: Clock;
  /** Wait before TG_ERR_TIMEOUT when `down('timeout')` is called without its own value. */
  readonly defaultTimeoutMs: number;
  private current: GateState = { kind: 'up' };
  private readonly counters: GateStats = { calls: 0, passed: 0, refused: 0, timedOut: 0 };
  private readonly listeners = new Set<(state: GateState) => void>();

  constructor(name: DependencyName, clock: Clock, options: DependencyGateOptions = {}) {
    this.name = name;
    this.clock = clock;
    this.defaultTimeoutMs = options.timeoutMs ?? DEFAULT_GATE_TIMEOUT_MS;
  }

  state(): GateState {
    return { ...this.current };
  }

  isUp(): boolean {
    return this.current.kind !== 'down';
  }

  up(): void {
    this.set({ kind: 'up' });
  }

  down(mode: DownMode = 'refuse', timeoutMs: number = this.defaultTimeoutMs): void {
    this.set({ kind: 'down', mode, timeoutMs });
  }

  slow(byMs: number): void {
    this.set(byMs > 0 ? { kind: 'slow', byMs } : { kind: 'up' });
  }

  /** Drive the gate from a timeline (the simulator's dependency model calls this on each change). */
  set(state: GateState): void {
    this.current = { ...state };
    for (const listener of [...this.listeners]) listener(this.state());
  }

  onChange(listener: (state: GateState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): GateStats {
    return { ...this.counters };
  }

  /** Calls made against this dependency so far. */
  calls(): number {
    return this.counters.calls;
  }

  /**
   * Run `op` behind the gate. The operation itself runs synchronously once admitted, so its effect
   * lands at one well-defined virtual instant; the caller always gets a promise.
   */
  run<T>(op: string, fn: () => T): Promise<T> {
    this.counters.calls += 1;
    const state = this.current;
    if (state.kind === 'up') {
      this.counters.passed += 1;
      try {
        return Promise.resolve(fn());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    if (state.kind === 'slow') {
      return new Promise<T>((resolve, reject) => {
        this.clock.setTimeout(() => {
          this.counters.passed += 1;
          try {
            resolve(fn());
          } catch (e) {
            reject(e);
          }
        }, state.byMs);
      });
    }
    if (state.mode === 'refuse') {
      this.counters.refused += 1;
      return Promise.reject(
        new TgError('TG_ERR_DEP_DOWN', `${this.name} refused the connection (${op}); is it running?`, {
          dependency: this.name,
          op,
        }),
      );
    }
    const timeoutMs = state.timeoutMs;
    return new Promise<T>((_resolve, reject) => {
      this.clock.setTimeout(() => {
        this.counters.timedOut += 1;
        reject(
          new TgError('TG_ERR_TIMEOUT', `${this.name} did not answer within ${timeoutMs} ms (${op})`, {
            dependency: this.name,
            op,
            timeoutMs,
          }),
        );
      }, timeoutMs);
    });
  }
}

/** Shorthand for adapters: run through the gate when there is one, else resolve directly. */
export function throughGate<T>(gate: DependencyGate | undefined, op: string, fn: () => T): Promise<T> {
  if (gate) return gate.run(op, fn);
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

/** The simulated dependencies of DESIGN section 1 that the memory adapters sit behind. */
export interface DependencyGates {
  'redis-main': DependencyGate;
  'redis-gatekeeper': DependencyGate;
  timescaledb: DependencyGate;
}

export function createDependencyGates(clock: Clock, options: DependencyGateOptions = {}): DependencyGates {
  return {
    'redis-main': new DependencyGate('redis-main', clock, options),
    'redis-gatekeeper': new DependencyGate('redis-gatekeeper', clock, options),
    timescaledb: new DependencyGate('timescaledb', clock, options),
  };
}

/** Options every memory adapter takes. */
export interface MemoryAdapterOptions {
  clock: Clock;
  gate?: DependencyGate;
}
