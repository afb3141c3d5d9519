// Virtual clock of the simulator: the Clock port and XState's clock in one object, API-compatible
// with XState's SimulatedClock (now/set/increment) but heap-backed and exact: every timer fires at
// its own deadline, so a timer armed inside a callback at delay d fires at deadline + d, never late.
import type { Clock } from '../../ports/clock.ts';
import { TgError } from '../../machines/errors.ts';
import { CANCELLED, FIRED, PENDING, TimerEntry, TimerHeap } from './timerHeap.ts';

/** Opaque handle returned by setTimeout; `deadline` is informational. */
export interface TimerHandle {
  readonly deadline: number;
}

/** Purge cancelled entries once they are this many and outnumber live ones (lazy deletion). */
const COMPACT_MIN = 256;

export class VirtualClock implements Clock {
  private current: number;
  private readonly heap = new TimerHeap();
  private seq = 0;
  private live = 0;
  private cancelledInHeap = 0;
  private fired = 0;

  /** `startMs`: epoch ms of the simulated start (e.g. 08:59:00 KST of the scenario day). */
  constructor(startMs = 0) {
    if (!Number.isFinite(startMs))
      throw new TgError('TG_ERR_INTERNAL', `clock start must be finite, got ${startMs}`);
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  /** Delays that are negative, NaN or 0 fire at the current instant, after timers already due. */
  setTimeout(fn: (...args: any[]) => void, ms: number): TimerHandle {
    const delay = ms > 0 ? ms : 0;
    return this.arm(this.current + delay, fn);
  }

  /** Arms a timer at an absolute virtual time (not before now). */
  setTimeoutAt(at: number, fn: () => void): TimerHandle {
    if (!(at >= this.current)) {
      throw new TgError(
        'TG_ERR_INTERNAL',
        `cannot schedule at ${at}: virtual time is already ${this.current}`,
      );
    }
    return this.arm(at, fn);
  }

  /** Unknown, foreign, fired or already-cleared handles are ignored, like Node's clearTimeout. */
  clearTimeout(handle: unknown): void {
    if (!(handle instanceof TimerEntry) || handle.owner !== this || handle.state !== PENDING) return;
    handle.state = CANCELLED;
    this.live--;
    this.cancelledInHeap++;
    if (this.cancelledInHeap >= COMPACT_MIN && this.cancelledInHeap * 2 > this.heap.size) {
      this.heap.retain((e) => e.state === PENDING);
      this.cancelledInHeap = 0;
    }
  }

  /** Timers armed and not yet fired or cleared. */
  pending(): number {
    return this.live;
  }

  /** Total timer callbacks run so far (for benchmarks and progress). */
  firedCount(): number {
    return this.fired;
  }

  nextDeadline(): number | undefined {
    return this.top()?.deadline;
  }

  /**
   * Fires exactly one timer, the earliest, if its deadline is at or before `limit`: time moves to
   * that deadline first. Returns whether a timer fired. The run loop uses it to settle microtasks
   * between callbacks, as Node does between timer callbacks.
   */
  fireNext(limit = Infinity): boolean {
    const entry = this.top();
    if (entry === undefined || entry.deadline > limit) return false;
    this.heap.pop();
    entry.state = FIRED;
    this.live--;
    this.fired++;
    if (entry.deadline > this.current) this.current = entry.deadline;
    entry.fn();
    return true;
  }

  /**
   * Synchronous stepping for unit tests: fires every timer of the next deadline (including
   * zero-delay timers armed meanwhile) if that deadline is at or before `limit`, and returns true.
   * Otherwise moves time to `limit` (when finite) and returns false. No microtasks run in between.
   */
  advanceToNext(limit = Infinity): boolean {
    const next = this.nextDeadline();
    if (next === undefined || next > limit) {
      if (Number.isFinite(limit) && limit > this.current) this.current = limit;
      return false;
    }
    while (this.fireNext(next));
    return true;
  }

  /** SimulatedClock-compatible jump, but deadline by deadline: each timer fires at its own time. */
  set(ms: number): void {
    if (ms < this.current) throw new TgError('TG_ERR_INTERNAL', 'Unable to travel back in time');
    while (this.fireNext(ms));
    this.current = ms;
  }

  increment(ms: number): void {
    this.set(this.current + ms);
  }

  private arm(deadline: number, fn: () => void): TimerHandle {
    const entry = new TimerEntry(this, deadline, this.seq++, fn);
    this.heap.push(entry);
    this.live++;
    return entry;
  }

  private top(): TimerEntry | undefined {
    let entry = this.heap.peek();
    while (entry !== undefined && entry.state !== PENDING) {
      this.heap.pop();
      this.cancelledInHeap--;
      entry = this.heap.peek();
    }
    return entry;
  }
}
