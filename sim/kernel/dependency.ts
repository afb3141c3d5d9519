// A simulated infrastructure dependency (redis-main, redis-gatekeeper, timescaledb, broker-rest,
// broker-ws) whose condition follows a timeline of faults in virtual time: down, slow by, drop a
// ratio of messages, flap. Overlapping faults combine; listeners (the memory adapters' gates, the
// broker model) hear only real changes, through a small callback so no adapter API is assumed.
import { TgError } from '../../machines/errors.ts';
import type { TimerHandle, VirtualClock } from './virtualClock.ts';

/** `refuse`: connection refused at once; `timeout`: unreachable host, calls time out. */
export type DownMode = 'refuse' | 'timeout';

export interface DependencyCondition {
  up: boolean;
  /** How it is down (meaningful when !up). */
  downMode: DownMode;
  /** Extra latency of every call, 0 when not slow (and while down: nothing answers at all). */
  slowByMs: number;
  /** Fraction of messages silently lost (broker-ws), 0 when none (and while down). */
  dropRatio: number;
}

export type DependencyFault =
  | { kind: 'down'; mode?: DownMode }
  | { kind: 'slow'; byMs: number }
  | { kind: 'drop'; ratio: number }
  /** Down at once, then up/down alternately every `everyMs` until the fault ends. */
  | { kind: 'flap'; everyMs: number; mode?: DownMode };

export interface DependencyListener {
  onChange(condition: DependencyCondition, at: number): void;
}

export interface DependencyChange {
  dependency: string;
  at: number;
  condition: DependencyCondition;
}

/** The methods of ports/memory DependencyGate this module drives (structural, so no import). */
export interface GateLike {
  up(): void;
  down(mode?: DownMode): void;
  slow(byMs: number): void;
}

interface ActiveFault {
  id: number;
  fault: DependencyFault;
  /** For flap: whether this half-period is a down one. */
  downNow: boolean;
  timers: TimerHandle[];
}

const UP: DependencyCondition = Object.freeze({ up: true, downMode: 'refuse', slowByMs: 0, dropRatio: 0 });

function sameCondition(a: DependencyCondition, b: DependencyCondition): boolean {
  return (
    a.up === b.up && a.downMode === b.downMode && a.slowByMs === b.slowByMs && a.dropRatio === b.dropRatio
  );
}

export class SimDependency {
  private readonly active = new Map<number, ActiveFault>();
  private readonly listeners = new Set<DependencyListener>();
  private readonly changes: DependencyChange[] = [];
  private current: DependencyCondition = { ...UP };
  private nextId = 1;

  constructor(
    private readonly clock: VirtualClock,
    readonly id: string,
  ) {}

  condition(): DependencyCondition {
    return { ...this.current };
  }

  isUp(): boolean {
    return this.current.up;
  }

  /** Subscribes and immediately tells the listener the current condition, so it starts in sync. */
  attach(listener: DependencyListener): () => void {
    this.listeners.add(listener);
    listener.onChange(this.condition(), this.clock.now());
    return () => this.listeners.delete(listener);
  }

  /** Every change so far, in order (for the report timeline). */
  history(): readonly DependencyChange[] {
    return this.changes;
  }

  /** Applies a fault now, for `forMs` (until cleared when omitted). Returns its id for clear(). */
  apply(fault: DependencyFault, forMs?: number): number {
    this.validate(fault, forMs);
    const entry: ActiveFault = { id: this.nextId++, fault, downNow: fault.kind === 'flap', timers: [] };
    this.active.set(entry.id, entry);
    if (fault.kind === 'flap') {
      const start = this.clock.now();
      const end = forMs === undefined ? Infinity : start + forMs;
      const toggle = (k: number): void => {
        const at = start + k * fault.everyMs;
        if (at >= end) return;
        entry.timers.push(
          this.clock.setTimeoutAt(at, () => {
            entry.downNow = !entry.downNow;
            this.recompute();
            toggle(k + 1);
          }),
        );
      };
      toggle(1);
    }
    if (forMs !== undefined) entry.timers.push(this.clock.setTimeout(() => this.clear(entry.id), forMs));
    this.recompute();
    return entry.id;
  }

  clear(faultId: number): void {
    const entry = this.active.get(faultId);
    if (entry === undefined) return;
    for (const timer of entry.timers) this.clock.clearTimeout(timer);
    this.active.delete(faultId);
    this.recompute();
  }

  clearAll(): void {
    for (const id of [...this.active.keys()]) this.clear(id);
  }

  down(forMs?: number, mode: DownMode = 'refuse'): number {
    return this.apply({ kind: 'down', mode }, forMs);
  }

  slow(byMs: number, forMs?: number): number {
    return this.apply({ kind: 'slow', byMs }, forMs);
  }

  drop(ratio: number, forMs?: number): number {
    return this.apply({ kind: 'drop', ratio }, forMs);
  }

  flap(everyMs: number, forMs?: number, mode: DownMode = 'refuse'): number {
    return this.apply({ kind: 'flap', everyMs, mode }, forMs);
  }

  private validate(fault: DependencyFault, forMs: number | undefined): void {
    const bad = (what: string): never => {
      throw new TgError('TG_ERR_SCENARIO', `${this.id}: ${what}`, { dependency: this.id, fault });
    };
    if (forMs !== undefined && !(forMs >= 0)) bad(`fault duration must be >= 0 ms, got ${forMs}`);
    if (fault.kind === 'slow' && !(fault.byMs >= 0)) bad(`slow needs by >= 0 ms, got ${fault.byMs}`);
    if (fault.kind === 'drop' && !(fault.ratio >= 0 && fault.ratio <= 1))
      bad(`drop ratio must be in [0, 1], got ${fault.ratio}`);
    if (fault.kind === 'flap' && !(fault.everyMs > 0)) bad(`flap needs every > 0 ms, got ${fault.everyMs}`);
  }

  /** Down if any fault holds it down (the latest such fault gives the mode); slow and drop take the max. */
  private recompute(): void {
    const next: DependencyCondition = { ...UP };
    for (const { fault, downNow } of this.active.values()) {
      if (fault.kind === 'down' || (fault.kind === 'flap' && downNow)) {
        next.up = false;
        next.downMode = fault.mode ?? 'refuse';
      } else if (fault.kind === 'slow') next.slowByMs = Math.max(next.slowByMs, fault.byMs);
      else if (fault.kind === 'drop') next.dropRatio = Math.max(next.dropRatio, fault.ratio);
    }
    if (!next.up) {
      next.slowByMs = 0;
      next.dropRatio = 0;
    }
    if (sameCondition(next, this.current)) return;
    this.current = next;
    const at = this.clock.now();
    this.changes.push({ dependency: this.id, at, condition: { ...next } });
    for (const listener of [...this.listeners]) listener.onChange({ ...next }, at);
  }
}

/** Drives a memory adapter's gate: down wins over slow; drop is not a gate matter. */
export function gateListener(gate: GateLike): DependencyListener {
  return {
    onChange(condition) {
      if (!condition.up) gate.down(condition.downMode);
      else if (condition.slowByMs > 0) gate.slow(condition.slowByMs);
      else gate.up();
    },
  };
}

export function createDependencies(clock: VirtualClock, ids: readonly string[]): Map<string, SimDependency> {
  return new Map(ids.map((id) => [id, new SimDependency(clock, id)]));
}
