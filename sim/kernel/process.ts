// A simulated OS process running one component assembly. All its timers go through a process-scoped
// clock facade, so kill() cancels them and loses the component's memory, hang() (SIGSTOP) holds
// timers and deliveries until resume() (SIGCONT) releases them in order, late; start() runs the
// assembly again with fresh state. A throw or an actor error inside the process crashes it.
import type { AnyActorRef } from 'xstate';
import type { Clock } from '../../ports/clock.ts';
import { TgError } from '../../machines/errors.ts';
import { guardPort } from './guardPort.ts';
import type { Rng } from './rng.ts';
import type { TimerHandle, VirtualClock } from './virtualClock.ts';

/** What a process assembly returns (docs/INTERNALS.md); actors/ may export the same shape. */
export interface ComponentHandle {
  id: string;
  actor: AnyActorRef;
  stop(): void;
  state(): string;
}

export type ProcessStatus = 'running' | 'hung' | 'exited';

export interface ProcessEvent {
  process: string;
  kind: 'started' | 'exited' | 'hung' | 'resumed';
  at: number;
  /** Starts of this process so far; events of one run share it. */
  generation: number;
  /** For exits: 'killed', 'crashed', 'exit', or what the caller passed to kill(). */
  reason?: string;
  /** For crashes: what was thrown or the actor's error. */
  error?: unknown;
}

/** Everything a process assembly gets from its process; valid for one run (one generation). */
export interface ProcessEnv {
  readonly id: string;
  readonly generation: number;
  /** Process-scoped clock: give it to createActor({ clock }) and to anything that arms timers. */
  readonly clock: Clock;
  /** A stream of its own per process and generation, when the process was given an rng. */
  readonly rng: Rng | undefined;
  /** False once this run ended (killed, crashed or exited), even if the process started again. */
  alive(): boolean;
  /**
   * Wrap a callback that comes into the process from outside (port handlers, results): after this
   * run ended it is dropped; while hung it is queued; otherwise it runs at once and returns fn's
   * value. A throw inside it crashes the process, never the caller.
   */
  guard<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R | undefined;
  /** Deliver `fn` into the process now (or late if hung, or never if dead): guard(fn)(). */
  deliver(fn: () => void): void;
  /** A view of `port` whose calls and results obey kill and hang (see guardPort.ts). */
  guardPort<T extends object>(port: T): T;
  /** The process ends itself (process.exit), at the current instant after the running code. */
  exit(reason?: string): void;
}

export interface ProcessSpec {
  id: string;
  start: (env: ProcessEnv) => ComponentHandle;
  /** Parent stream; each run gets rng.fork(`${id}#${generation}`). */
  rng?: Rng;
}

interface Queued {
  run: () => void;
  cancelled: boolean;
}

const DEAD_TIMER: TimerHandle = Object.freeze({ deadline: Number.NaN });

export class SimProcess {
  readonly id: string;
  private gen = 0;
  private current: ProcessStatus = 'exited';
  private handle: ComponentHandle | undefined;
  private started: number | undefined;
  private readonly timers = new Set<TimerHandle>();
  /** Work that came due while hung (or while earlier held work is still being released). */
  private queue: Queued[] = [];
  private readonly queuedTimers = new Map<TimerHandle, Queued>();
  private releaseTimer: TimerHandle | undefined;
  private readonly listeners = new Set<(e: ProcessEvent) => void>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly spec: ProcessSpec,
  ) {
    this.id = spec.id;
  }

  get status(): ProcessStatus {
    return this.current;
  }

  /** Number of times the process was started. */
  get generation(): number {
    return this.gen;
  }

  /** The running component, for tests and reports only; undefined while exited. */
  get component(): ComponentHandle | undefined {
    return this.handle;
  }

  /** Virtual time of the latest start. */
  get startedAt(): number | undefined {
    return this.started;
  }

  onLifecycle(listener: (e: ProcessEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs the assembly with fresh state. Starting a process that is not exited is a wiring bug. */
  start(): void {
    if (this.current !== 'exited') {
      throw new TgError('TG_ERR_INTERNAL', `process ${this.id} cannot start: it is ${this.current}`);
    }
    const generation = ++this.gen;
    this.current = 'running';
    this.started = this.clock.now();
    this.emit('started');
    let handle: ComponentHandle;
    try {
      handle = this.spec.start(this.createEnv(generation));
    } catch (error) {
      if (this.isLive(generation)) this.kill('crashed', error);
      return;
    }
    if (!this.isLive(generation)) {
      handle.stop();
      return;
    }
    this.handle = handle;
    handle.actor?.subscribe?.({ error: (error: unknown) => this.exitSoon(generation, 'crashed', error) });
  }

  /** SIGKILL: timers cancelled, held work dropped, the component stopped and its memory lost. */
  kill(reason = 'killed', error?: unknown): void {
    if (this.current === 'exited') return;
    this.current = 'exited';
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.queue = [];
    this.queuedTimers.clear();
    this.clock.clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
    const handle = this.handle;
    this.handle = undefined;
    try {
      handle?.stop();
    } catch {
      // The process is gone; whatever its shutdown threw cannot matter any more.
    }
    this.emit('exited', reason, error);
  }

  /** SIGSTOP: alive but silent. Returns false when there was nothing running to stop. */
  hang(): boolean {
    if (this.current !== 'running') return false;
    this.current = 'hung';
    this.clock.clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
    this.emit('hung');
    return true;
  }

  /** SIGCONT: held timers and deliveries run in the order they came, one per kernel step. */
  resume(): boolean {
    if (this.current !== 'hung') return false;
    this.current = 'running';
    this.emit('resumed');
    this.releaseNext();
    return true;
  }

  private isLive(generation: number): boolean {
    return generation === this.gen && this.current !== 'exited';
  }

  private emit(kind: ProcessEvent['kind'], reason?: string, error?: unknown): void {
    const event: ProcessEvent = { process: this.id, kind, at: this.clock.now(), generation: this.gen };
    if (reason !== undefined) event.reason = reason;
    if (error !== undefined) event.error = error;
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Ends the run at this instant but outside the code that is running (an actor's own callback). */
  private exitSoon(generation: number, reason: string, error?: unknown): void {
    this.clock.setTimeout(() => {
      if (this.isLive(generation)) this.kill(reason, error);
    }, 0);
  }

  private runInside(generation: number, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.exitSoon(generation, 'crashed', error);
    }
  }

  /** Route work into the process: now, held (hung or older work still queued), or dropped (dead). */
  private route(generation: number, fn: () => void, timer?: TimerHandle): void {
    if (!this.isLive(generation)) return;
    if (this.current === 'running' && this.queue.length === 0) {
      this.runInside(generation, fn);
      return;
    }
    const item: Queued = { run: fn, cancelled: false };
    this.queue.push(item);
    if (timer !== undefined) this.queuedTimers.set(timer, item);
  }

  private releaseNext(): void {
    if (this.queue.length === 0 || this.current !== 'running' || this.releaseTimer !== undefined) return;
    const generation = this.gen;
    this.releaseTimer = this.clock.setTimeout(() => {
      this.releaseTimer = undefined;
      if (!this.isLive(generation) || this.current !== 'running') return;
      let item = this.queue.shift();
      while (item?.cancelled) item = this.queue.shift();
      if (item !== undefined) this.runInside(generation, item.run);
      if (this.queue.length === 0) this.queuedTimers.clear();
      this.releaseNext();
    }, 0);
  }

  private createEnv(generation: number): ProcessEnv {
    const alive = (): boolean => this.isLive(generation);
    const clock: Clock = {
      now: () => this.clock.now(),
      setTimeout: (fn: (...args: any[]) => void, ms: number): TimerHandle => {
        if (!alive()) return DEAD_TIMER;
        const timer: TimerHandle = this.clock.setTimeout(() => {
          this.timers.delete(timer);
          this.route(generation, fn, timer);
        }, ms);
        this.timers.add(timer);
        return timer;
      },
      clearTimeout: (handle: unknown): void => {
        const timer = handle as TimerHandle;
        if (this.timers.delete(timer)) this.clock.clearTimeout(timer);
        const held = this.queuedTimers.get(timer);
        if (held !== undefined) {
          held.cancelled = true;
          this.queuedTimers.delete(timer);
        }
      },
    };
    const guard = <A extends unknown[], R>(fn: (...args: A) => R) => {
      return (...args: A): R | undefined => {
        if (!this.isLive(generation)) return undefined;
        if (this.current === 'running' && this.queue.length === 0) {
          try {
            return fn(...args);
          } catch (error) {
            this.exitSoon(generation, 'crashed', error);
            return undefined;
          }
        }
        this.route(generation, () => void fn(...args));
        return undefined;
      };
    };
    const env: ProcessEnv = {
      id: this.id,
      generation,
      clock,
      rng: this.spec.rng?.fork(`${this.id}#${generation}`),
      alive,
      guard,
      deliver: (fn) => guard(fn)(),
      guardPort: (port) => guardPort(port, env),
      exit: (reason = 'exit') => {
        if (alive()) this.exitSoon(generation, reason);
      },
    };
    return env;
  }
}
