// The Docker-like platform of the simulator: runs simulated processes under `restart: always` with
// Docker's back-off, counts restarts per component, and is the sim's ProcessControl (the
// supervisor's `docker restart`). A hang is invisible to it: only exits are seen and reported.
import type { ComponentId } from '../../machines/types.ts';
import type { ProcessControl } from '../../ports/processControl.ts';
import { TgError } from '../../machines/errors.ts';
import { SimProcess, type ProcessEvent, type ProcessSpec } from './process.ts';
import type { TimerHandle, VirtualClock } from './virtualClock.ts';

export interface PlatformOptions {
  /** First restart delay (Docker: 100 ms); doubles per consecutive restart. */
  backoffBaseMs?: number;
  /** Cap of the restart delay (Docker: 1 minute). */
  backoffMaxMs?: number;
  /** A run at least this long resets the delay to the base (Docker: 10 s). */
  resetAfterMs?: number;
}

export type StartCause = 'initial' | 'platform' | 'supervisor' | 'hold-ended';

/** Everything the platform saw or did, for the report's timeline (richer than ProcessControl's view). */
export interface PlatformEvent {
  component: ComponentId;
  kind: 'started' | 'exited' | 'hung' | 'resumed' | 'restart-scheduled' | 'held-down';
  at: number;
  reason?: string;
  cause?: StartCause;
  /** restart-scheduled: the back-off delay; held-down: the hold's length. */
  delayMs?: number;
  error?: unknown;
}

export interface RestartCounts {
  supervisor: number;
  platform: number;
}

type LifecycleHandler = Parameters<ProcessControl['onLifecycle']>[0];

interface Slot {
  process: SimProcess;
  /** Docker's restart-manager timeout: 0 until the first automatic restart. */
  backoffMs: number;
  pendingRestart: TimerHandle | undefined;
  heldUntil: number | undefined;
  holdTimer: TimerHandle | undefined;
  /** Set while the platform itself stops the process (supervisor restart, hold, stop): no auto-restart. */
  expectingExit: boolean;
  nextCause: StartCause;
  counts: RestartCounts;
}

export class SimPlatform implements ProcessControl {
  private readonly slots = new Map<ComponentId, Slot>();
  private readonly lifecycleHandlers = new Set<LifecycleHandler>();
  private readonly eventHandlers = new Set<(e: PlatformEvent) => void>();
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly resetAfterMs: number;

  constructor(
    private readonly clock: VirtualClock,
    options: PlatformOptions = {},
  ) {
    this.backoffBaseMs = options.backoffBaseMs ?? 100;
    this.backoffMaxMs = options.backoffMaxMs ?? 60_000;
    this.resetAfterMs = options.resetAfterMs ?? 10_000;
  }

  /** Registers a process (not started). Ids are unique. */
  add(spec: ProcessSpec): SimProcess {
    if (this.slots.has(spec.id)) throw new TgError('TG_ERR_CONFIG', `process ${spec.id} is registered twice`);
    const process = new SimProcess(this.clock, spec);
    const slot: Slot = {
      process,
      backoffMs: 0,
      pendingRestart: undefined,
      heldUntil: undefined,
      holdTimer: undefined,
      expectingExit: false,
      nextCause: 'initial',
      counts: { supervisor: 0, platform: 0 },
    };
    this.slots.set(spec.id, slot);
    process.onLifecycle((e) => this.observe(slot, e));
    return process;
  }

  process(component: ComponentId): SimProcess {
    return this.slot(component).process;
  }

  ids(): ComponentId[] {
    return [...this.slots.keys()];
  }

  /** Starts every registered process that is not running, in registration order. */
  startAll(): void {
    for (const slot of this.slots.values()) {
      if (slot.process.status === 'exited' && slot.heldUntil === undefined) this.startSlot(slot, 'initial');
    }
  }

  /** Fault `kill`: the process dies; `restart: always` brings it back after the back-off. */
  kill(component: ComponentId, reason = 'killed'): void {
    this.slot(component).process.kill(reason);
  }

  hang(component: ComponentId): boolean {
    return this.slot(component).process.hang();
  }

  resume(component: ComponentId): boolean {
    return this.slot(component).process.resume();
  }

  /**
   * Fault `down` with `for`: the process is stopped (if running or hung) and cannot start until
   * the hold ends; then the platform starts it (counted as a platform restart). Holds extend,
   * never shorten.
   */
  holdDown(component: ComponentId, forMs: number, reason = 'held down'): void {
    const slot = this.slot(component);
    const until = this.clock.now() + Math.max(0, forMs);
    if (slot.heldUntil !== undefined && slot.heldUntil >= until) return;
    this.cancelPendingRestart(slot);
    this.clock.clearTimeout(slot.holdTimer);
    slot.heldUntil = until;
    this.publish({ component, kind: 'held-down', at: this.clock.now(), delayMs: forMs, reason });
    this.stopSlot(slot, reason);
    slot.holdTimer = this.clock.setTimeoutAt(until, () => {
      slot.holdTimer = undefined;
      slot.heldUntil = undefined;
      if (slot.process.status !== 'exited') return;
      slot.counts.platform++;
      this.startSlot(slot, 'hold-ended');
    });
  }

  /** `docker stop`: no automatic restart until something starts it again. */
  stop(component: ComponentId, reason = 'stopped'): void {
    const slot = this.slot(component);
    this.cancelPendingRestart(slot);
    this.stopSlot(slot, reason);
  }

  /** End of a simulation: every process stopped, no restart pending. */
  shutdown(): void {
    for (const slot of this.slots.values()) {
      this.clock.clearTimeout(slot.holdTimer);
      slot.holdTimer = undefined;
      slot.heldUntil = undefined;
      this.cancelPendingRestart(slot);
      this.stopSlot(slot, 'shutdown');
    }
  }

  /**
   * ProcessControl: SIGKILL (a hung process too) and start now, counted as a supervisor restart;
   * like a manual `docker start` it resets the back-off. Rejects (TG_ERR_DEP_DOWN) while a fault
   * holds the process down, and (TG_ERR_CONFIG) for an unknown component.
   */
  async restart(component: ComponentId): Promise<void> {
    const slot = this.slot(component);
    if (slot.heldUntil !== undefined) {
      throw new TgError(
        'TG_ERR_DEP_DOWN',
        `${component} cannot start before ${slot.heldUntil}: its host is down`,
        {
          component,
          until: slot.heldUntil,
        },
      );
    }
    this.cancelPendingRestart(slot);
    this.stopSlot(slot, 'restarted');
    slot.backoffMs = 0;
    slot.counts.supervisor++;
    this.startSlot(slot, 'supervisor');
  }

  onLifecycle(handler: LifecycleHandler): () => void {
    this.lifecycleHandlers.add(handler);
    return () => this.lifecycleHandlers.delete(handler);
  }

  /** Every platform event, including hangs the supervisor cannot see (for reports and tests). */
  onEvent(handler: (e: PlatformEvent) => void): () => void {
    this.eventHandlers.add(handler);
    return () => this.eventHandlers.delete(handler);
  }

  restartCounts(): Record<ComponentId, RestartCounts> {
    const out: Record<ComponentId, RestartCounts> = {};
    for (const [id, slot] of this.slots) out[id] = { ...slot.counts };
    return out;
  }

  private slot(component: ComponentId): Slot {
    const slot = this.slots.get(component);
    if (slot === undefined) {
      throw new TgError('TG_ERR_CONFIG', `unknown component ${component}; known: ${this.ids().join(', ')}`);
    }
    return slot;
  }

  private startSlot(slot: Slot, cause: StartCause): void {
    slot.nextCause = cause;
    slot.process.start();
  }

  private stopSlot(slot: Slot, reason: string): void {
    if (slot.process.status === 'exited') return;
    slot.expectingExit = true;
    slot.process.kill(reason);
  }

  private cancelPendingRestart(slot: Slot): void {
    this.clock.clearTimeout(slot.pendingRestart);
    slot.pendingRestart = undefined;
  }

  private observe(slot: Slot, e: ProcessEvent): void {
    const component = slot.process.id;
    if (e.kind === 'hung' || e.kind === 'resumed') {
      this.publish({ component, kind: e.kind, at: e.at });
      return;
    }
    if (e.kind === 'started') {
      this.publish({ component, kind: 'started', at: e.at, cause: slot.nextCause });
      this.notify({ component, kind: 'started', at: e.at });
      return;
    }
    const exited: PlatformEvent = { component, kind: 'exited', at: e.at };
    if (e.reason !== undefined) exited.reason = e.reason;
    if (e.error !== undefined) exited.error = e.error;
    this.publish(exited);
    this.notify({ component, kind: 'exited', at: e.at });
    if (slot.expectingExit) {
      slot.expectingExit = false;
      return;
    }
    if (slot.heldUntil === undefined) this.scheduleRestart(slot, e.at - (slot.process.startedAt ?? e.at));
  }

  /** Docker's restart manager (moby restartmanager): reset after a long run, else double, capped. */
  private scheduleRestart(slot: Slot, ranForMs: number): void {
    if (ranForMs >= this.resetAfterMs) slot.backoffMs = 0;
    slot.backoffMs =
      slot.backoffMs === 0 ? this.backoffBaseMs : Math.min(slot.backoffMs * 2, this.backoffMaxMs);
    const delayMs = slot.backoffMs;
    this.publish({ component: slot.process.id, kind: 'restart-scheduled', at: this.clock.now(), delayMs });
    this.cancelPendingRestart(slot);
    slot.pendingRestart = this.clock.setTimeout(() => {
      slot.pendingRestart = undefined;
      if (slot.process.status !== 'exited' || slot.heldUntil !== undefined) return;
      slot.counts.platform++;
      this.startSlot(slot, 'platform');
    }, delayMs);
  }

  private publish(e: PlatformEvent): void {
    for (const handler of [...this.eventHandlers]) handler(e);
  }

  private notify(e: { component: ComponentId; kind: 'exited' | 'started'; at: number }): void {
    for (const handler of [...this.lifecycleHandlers]) handler(e);
  }
}
