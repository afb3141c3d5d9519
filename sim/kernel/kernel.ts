// Discrete-event run loop of the simulator: advances the virtual clock deadline by deadline, runs
// each due timer, and settles promise microtasks after every timer so promise actors and async
// port calls complete at the virtual instant they belong to. Deterministic: no wall clock, no
// Math.random; the same inputs give the same sequence of callbacks.
import { TgError } from '../../machines/errors.ts';
import { createMicrotaskDrain, type MicrotaskDrain } from './microtasks.ts';
import { createRng, type Rng } from './rng.ts';
import { VirtualClock } from './virtualClock.ts';

export interface KernelOptions {
  /** Epoch ms of the simulated start; default 0. */
  startMs?: number;
  /** Seed of `kernel.rng`; default 0. */
  seed?: number | string;
  /** Timer callbacks allowed in one virtual instant before the run is declared a zero-delay loop. */
  maxTimersPerInstant?: number;
}

export interface RunResult {
  /** Virtual time when the run returned. */
  now: number;
  /** Distinct virtual instants processed by this run (each followed by onStep observers). */
  instants: number;
  /** Timer callbacks run by this run. */
  timersFired: number;
  /** True when stop() or a stopWhen predicate ended the run before `endMs`. */
  stopped: boolean;
}

/** Cancels what `schedule`/`after`/`every` armed; calling it twice is harmless. */
export type Cancel = () => void;

export class Kernel {
  readonly clock: VirtualClock;
  readonly rng: Rng;
  private readonly maxTimersPerInstant: number;
  private readonly stepObservers = new Set<(now: number) => void>();
  private readonly stopPredicates = new Set<() => boolean>();
  private drainer: MicrotaskDrain | undefined;
  private running = false;
  private stopRequested = false;

  constructor(options: KernelOptions = {}) {
    this.clock = new VirtualClock(options.startMs ?? 0);
    this.rng = createRng(options.seed ?? 0);
    this.maxTimersPerInstant = options.maxTimersPerInstant ?? 1_000_000;
  }

  now(): number {
    return this.clock.now();
  }

  /** Runs `fn` at absolute virtual time `at` (not in the past). */
  schedule(at: number, fn: () => void): Cancel {
    const handle = this.clock.setTimeoutAt(at, fn);
    return () => this.clock.clearTimeout(handle);
  }

  after(delayMs: number, fn: () => void): Cancel {
    const handle = this.clock.setTimeout(fn, delayMs);
    return () => this.clock.clearTimeout(handle);
  }

  /**
   * Runs `fn(at)` at startAt, startAt + interval, ... while at <= until. Deadlines are computed as
   * multiples of the interval, so a model driver never drifts however long the run.
   */
  every(
    intervalMs: number,
    fn: (at: number) => void,
    options: { startAt?: number; until?: number } = {},
  ): Cancel {
    if (!(intervalMs > 0))
      throw new TgError('TG_ERR_INTERNAL', `every() needs a positive interval, got ${intervalMs}`);
    const start = options.startAt ?? this.clock.now() + intervalMs;
    const until = options.until ?? Infinity;
    let k = 0;
    let handle: unknown;
    let cancelled = false;
    const arm = (): void => {
      const at = start + k * intervalMs;
      if (at > until) return;
      handle = this.clock.setTimeoutAt(at, () => {
        k++;
        arm();
        fn(at);
      });
    };
    arm();
    return () => {
      if (cancelled) return;
      cancelled = true;
      this.clock.clearTimeout(handle);
    };
  }

  /** Observer called once per virtual instant, after all its timers ran and settled. */
  onStep(observer: (now: number) => void): Cancel {
    this.stepObservers.add(observer);
    return () => this.stepObservers.delete(observer);
  }

  /** The run ends after the first instant at which any predicate returns true. */
  stopWhen(predicate: () => boolean): Cancel {
    this.stopPredicates.add(predicate);
    return () => this.stopPredicates.delete(predicate);
  }

  /** Ends the current run after the instant in progress. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Lets every pending microtask chain settle, without moving virtual time. */
  settle(): Promise<void> {
    this.drainer ??= createMicrotaskDrain();
    return this.drainer.drain();
  }

  /**
   * Fires every timer due at or before `endMs`, instant by instant, settling microtasks after each
   * callback; then moves time to `endMs` unless stopped earlier. Errors thrown by callbacks or
   * observers end the run and reject with the original error.
   */
  async runUntil(endMs: number): Promise<RunResult> {
    if (this.running) throw new TgError('TG_ERR_INTERNAL', 'runUntil is already running');
    if (endMs < this.clock.now()) {
      throw new TgError(
        'TG_ERR_INTERNAL',
        `cannot run until ${endMs}: virtual time is already ${this.clock.now()}`,
      );
    }
    this.running = true;
    this.stopRequested = false;
    const result: RunResult = { now: this.clock.now(), instants: 0, timersFired: 0, stopped: false };
    try {
      await this.settle();
      while (!this.stopRequested) {
        const instant = this.clock.nextDeadline();
        if (instant === undefined || instant > endMs) break;
        let firedNow = 0;
        while (this.clock.fireNext(instant)) {
          await this.settle();
          if (++firedNow > this.maxTimersPerInstant) {
            throw new TgError(
              'TG_ERR_INTERNAL',
              `more than ${this.maxTimersPerInstant} timers at t=${instant}: a zero-delay loop?`,
            );
          }
        }
        result.timersFired += firedNow;
        result.instants++;
        for (const observer of this.stepObservers) observer(instant);
        for (const predicate of this.stopPredicates) if (predicate()) this.stopRequested = true;
      }
      result.stopped = this.stopRequested;
      if (!result.stopped) this.clock.set(endMs);
      result.now = this.clock.now();
      return result;
    } finally {
      this.running = false;
    }
  }

  runFor(ms: number): Promise<RunResult> {
    return this.runUntil(this.clock.now() + ms);
  }

  /** Releases the microtask drain's port; the kernel can still run afterwards (it reopens). */
  dispose(): void {
    this.drainer?.close();
    this.drainer = undefined;
  }
}
