// Test helpers for health views and the supervisor machine: a SimulatedClock that counts live timers,
// a recording parent actor, and a driver that plays heartbeats, registry reads and probes deadline by
// deadline (XState's SimulatedClock fires chained timers late if it jumps past them).
import { createActor, createMachine, fromPromise, SimulatedClock, type AnyActorRef } from 'xstate';
import { defaultConfig, validateConfig, withCollectors, type TgConfig } from '../../machines/config.ts';
import { detectionParams } from '../../machines/detection.ts';
import { healthViewMachine, type HealthViewEvent, type ViewChangedEvent } from '../../machines/healthView.ts';
import { supervisorMachine } from '../../machines/supervisor.ts';
import type { MirrorWrite, SupervisorInput } from '../../machines/supervisorTypes.ts';
import type { HeartbeatPayload, TgEvent, ViewState } from '../../machines/types.ts';

/** A SimulatedClock that knows how many timers are armed (one suspicion timer per view, not a poll). */
export class CountingClock extends SimulatedClock {
  readonly live = new Set<number>();
  armed = 0;

  override setTimeout(fn: (...args: any[]) => void, timeout: number): number {
    this.armed += 1;
    const id: number = super.setTimeout(() => {
      this.live.delete(id);
      fn();
    }, timeout);
    this.live.add(id);
    return id;
  }

  override clearTimeout(id: number): void {
    this.live.delete(id);
    super.clearTimeout(id);
  }
}

/** Around-the-clock session so stall tests do not depend on the wall-clock day. */
export function testConfig(overrides: Record<string, unknown> = {}, collectors: string[] = []): TgConfig {
  const base = validateConfig({ session: { always: true }, ...overrides });
  return collectors.length ? withCollectors(base, collectors) : base;
}

/** A parent that records what children send it. */
export function recorder() {
  const events: ViewChangedEvent[] = [];
  const actor = createActor(
    createMachine({ on: { '*': { actions: ({ event }) => void events.push(event as ViewChangedEvent) } } }),
  );
  actor.start();
  return { actor: actor as AnyActorRef, events };
}

export function startView(
  opts: {
    component?: string;
    kind?: 'process' | 'infrastructure';
    collector?: boolean;
    config?: TgConfig;
  } = {},
) {
  const clock = new CountingClock();
  const config = opts.config ?? testConfig();
  const parent = recorder();
  const view = createActor(healthViewMachine, {
    clock,
    input: {
      component: opts.component ?? 'writer',
      kind: opts.kind ?? 'process',
      collector: opts.collector ?? false,
      params: detectionParams(config),
      failedRecoveryMs: config.restart.windowMs,
      now: () => clock.now(),
      parent: parent.actor,
    },
  });
  view.start();
  const state = () => view.getSnapshot().value as ViewState;
  const send = (e: HealthViewEvent) => view.send(e);
  const beat = (at: number, extra: Partial<HeartbeatPayload> = {}) =>
    send({
      type: 'HEARTBEAT',
      payload: { component: opts.component ?? 'writer', at, state: 'healthy', ...extra },
    });
  /** Advance to `to` in 500 ms polls: beat on whole seconds while `alive(t)`, then read the registry. */
  const run = (
    to: number,
    alive: (t: number) => boolean = () => true,
    extra: (t: number) => Partial<HeartbeatPayload> = () => ({}),
  ) => {
    for (let t = Math.floor(clock.now() / 500) * 500 + 500; t <= to; t += 500) {
      clock.set(t);
      if (t % 1000 === 0 && alive(t)) beat(t, extra(t));
      send({ type: 'REGISTRY_READ', at: t });
    }
  };
  return { clock, view, parent, state, send, beat, run };
}

export interface SupervisorRig {
  clock: CountingClock;
  sup: ReturnType<typeof createActor<typeof supervisorMachine>>;
  published: TgEvent[];
  mirrored: MirrorWrite[];
  restarts: { at: number; component: string }[];
  views(): Record<string, ViewState>;
  send: ReturnType<typeof createActor<typeof supervisorMachine>>['send'];
  errors: unknown[];
}

export function startSupervisorMachine(
  input: Partial<SupervisorInput> = {},
  restart: (component: string) => Promise<void> = async () => {},
  start = 0,
): SupervisorRig {
  const clock = new CountingClock();
  clock.set(start);
  const published: TgEvent[] = [];
  const mirrored: MirrorWrite[] = [];
  const restarts: { at: number; component: string }[] = [];
  const machine = supervisorMachine.provide({
    actions: {
      publish: (_, params) => void published.push(params.event),
      mirror: (_, write) => void mirrored.push(write),
    },
    actors: {
      restartComponent: fromPromise<void, { component: string }>(({ input: i }) => {
        restarts.push({ at: clock.now(), component: i.component });
        return restart(i.component);
      }),
    },
  });
  const sup = createActor(machine, {
    clock,
    input: {
      config: testConfig(),
      now: () => clock.now(),
      random: () => 0.5,
      idPrefix: 'sup',
      ...input,
    },
  });
  const errors: unknown[] = [];
  sup.subscribe({ error: (e) => void errors.push(e) });
  sup.start();
  const views = () => {
    const out: Record<string, ViewState> = {};
    for (const [id, child] of Object.entries(sup.getSnapshot().children)) {
      const value = (child as AnyActorRef | undefined)?.getSnapshot().value;
      if (typeof value === 'string' && !id.startsWith('restart:')) out[id] = value as ViewState;
    }
    return out;
  };
  return { clock, sup, published, mirrored, restarts, views, send: sup.send.bind(sup), errors };
}

export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

export { defaultConfig };

export interface WorldOptions {
  /** Whether a process beats at `t` (default: all of them, always). */
  alive?: (id: string, t: number) => boolean;
  /** Extra heartbeat fields; collectors default to connected, live since 0, a tick for every symbol at t. */
  extra?: (id: string, t: number) => Partial<HeartbeatPayload>;
  /** Probe outcome of an infrastructure component (default: up). */
  up?: (id: string, t: number) => boolean;
  /** Whether the heartbeat registry answers (default: while redis-main is up). */
  registry?: (t: number) => boolean;
  /** Symbols of a collector for the default lastTickAt. */
  symbols?: Record<string, string[]>;
  /** Called after each 100 ms step (for invariant checks between steps). */
  after?: (t: number) => void;
}

/** Play the world in 100 ms steps up to `to`: beats on whole seconds, reads every 500 ms, probes every second. */
export async function drive(rig: SupervisorRig, to: number, w: WorldOptions = {}): Promise<void> {
  const ctx = rig.sup.getSnapshot().context.core;
  const processes = ctx.graph.order.filter((id) => ctx.traits[id].kind === 'process');
  const infra = ctx.graph.order.filter((id) => ctx.traits[id].kind === 'infrastructure');
  const up = w.up ?? (() => true);
  const registry = w.registry ?? ((t: number) => up('redis-main', t));
  for (let t = Math.floor(rig.clock.now() / 100) * 100 + 100; t <= to; t += 100) {
    rig.clock.set(t);
    if (t % 1000 === 0) {
      for (const id of processes) {
        if (!(w.alive?.(id, t) ?? true)) continue;
        const symbols = w.symbols?.[id] ?? [];
        const base: Partial<HeartbeatPayload> = ctx.traits[id].collector
          ? {
              brokerConnected: true,
              liveSince: 0,
              lastTickAt: Object.fromEntries(symbols.map((s) => [s, t])),
            }
          : {};
        rig.send({
          type: 'HEARTBEAT',
          payload: { component: id, at: t, state: 'healthy', ...base, ...w.extra?.(id, t) },
        });
      }
      for (const id of infra) {
        rig.send(
          up(id, t)
            ? { type: 'PROBE_OK', component: id, at: t }
            : { type: 'PROBE_FAILED', component: id, at: t, reason: 'ECONNREFUSED' },
        );
      }
    }
    if (t % 500 === 0)
      rig.send(registry(t) ? { type: 'REGISTRY_READ', at: t } : { type: 'REGISTRY_UNREACHABLE', at: t });
    await flush();
    w.after?.(t);
  }
}
