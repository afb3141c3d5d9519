// A small model world around the supervisor machine for property tests: processes that beat, hang,
// exit and get restarted (by a Docker-like platform or by the supervisor), infrastructure that probes
// up or down, collectors whose broker sockets drop. It records what the invariants need and lets a
// property check after every synchronous step (before microtasks) and after every settled step.
import fc from 'fast-check';
import { createActor, fromPromise, SimulatedClock, type AnyActorRef } from 'xstate';
import { validateConfig, withCollectors, type TgConfig } from '../../machines/config.ts';
import { supervisorMachine } from '../../machines/supervisor.ts';
import type { SupervisorEvent } from '../../machines/supervisorTypes.ts';
import type { HeartbeatPayload, TgEvent, ViewState } from '../../machines/types.ts';
import { MemoryStateMirror } from '../../ports/memory/index.ts';

export const PROCESSES = [
  'writer',
  'recovery-worker',
  'collector:kis-1',
  'collector:kis-2',
  'collector:kiwoom-1',
] as const;
export const COLLECTORS = ['collector:kis-1', 'collector:kis-2', 'collector:kiwoom-1'] as const;
export const INFRA = ['redis-main', 'redis-gatekeeper', 'timescaledb', 'broker-rest', 'broker-ws'] as const;
/** A and C are covered twice, B and D once. */
export const COVERAGE: Record<string, string[]> = {
  'collector:kis-1': ['A', 'B'],
  'collector:kis-2': ['C'],
  'collector:kiwoom-1': ['A', 'C', 'D'],
};
export const SYMBOLS = ['A', 'B', 'C', 'D'];

export const config: TgConfig = withCollectors(
  validateConfig({ session: { always: true }, restart: { maxRestarts: 3, windowMs: 20_000 } }),
  [...COLLECTORS],
);

export type Command =
  | { kind: 'advance'; ms: number }
  | { kind: 'kill'; target: string; platformDelayMs: number | null }
  | { kind: 'hang'; target: string }
  | { kind: 'resume'; target: string }
  | { kind: 'infra'; target: string; up: boolean }
  | { kind: 'socket'; target: string; up: boolean }
  | { kind: 'restartsFail'; on: boolean };

export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.integer({ min: 100, max: 4000 }).map((ms) => ({ kind: 'advance' as const, ms })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('kill' as const),
      target: fc.constantFrom(...PROCESSES),
      platformDelayMs: fc.option(fc.integer({ min: 100, max: 3000 }), { nil: null }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('hang' as const), target: fc.constantFrom(...PROCESSES) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('resume' as const), target: fc.constantFrom(...PROCESSES) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('infra' as const),
      target: fc.constantFrom(...INFRA),
      up: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('socket' as const),
      target: fc.constantFrom(...COLLECTORS),
      up: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restartsFail' as const), on: fc.boolean() }) },
);

export const scenarioArb = fc.array(commandArb, { minLength: 1, maxLength: 25 });

export interface RestartRecord {
  at: number;
  component: string;
  /** Views of its hard dependencies at the moment the restart was ordered. */
  deps: Record<string, ViewState>;
}

export interface Checks {
  /** After every synchronous step: a send or a clock move, before any microtask. */
  sync?: (w: World) => void;
  /** After every world step, once promises have settled. */
  settled?: (w: World) => void;
}

/** Let promise actors settle (a restart resolves within a few microtask hops). */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** The world moves in steps of this size: beats on whole seconds, registry reads every 500 ms. */
const STEP_MS = 250;

export class World {
  readonly clock = new SimulatedClock();
  readonly published: TgEvent[] = [];
  readonly restarts: RestartRecord[] = [];
  readonly platformStarts: { at: number; component: string }[] = [];
  readonly mirror = new MemoryStateMirror({ clock: this.clock });
  readonly lastBeat: Record<string, HeartbeatPayload> = {};
  readonly errors: unknown[] = [];
  readonly actor;
  private status: Record<string, 'alive' | 'hung' | 'dead'> = Object.fromEntries(
    PROCESSES.map((p) => [p, 'alive']),
  );
  private infraUp: Record<string, boolean> = Object.fromEntries(INFRA.map((i) => [i, true]));
  private socketUp: Record<string, boolean> = Object.fromEntries(COLLECTORS.map((c) => [c, true]));
  private liveSince: Record<string, number | undefined> = {};
  private lastTick: Record<string, number> = {};
  private pendingStarts: { at: number; target: string }[] = [];
  private restartsFail = false;

  constructor(private readonly checks: Checks) {
    const machine = supervisorMachine.provide({
      actions: {
        publish: (_, p) => void this.published.push(p.event),
        mirror: (_, w) => void this.mirror.set(w),
      },
      actors: {
        restartComponent: fromPromise<void, { component: string }>(async ({ input }) =>
          this.restart(input.component),
        ),
      },
    });
    this.actor = createActor(machine, {
      clock: this.clock,
      input: { config, coverage: COVERAGE, now: () => this.clock.now(), random: () => 0.5, idPrefix: 'sup' },
    });
    this.actor.subscribe({ error: (e) => void this.errors.push(e) });
    this.actor.start();
    this.checks.sync?.(this);
  }

  views(): Record<string, ViewState> {
    const out: Record<string, ViewState> = {};
    for (const [id, child] of Object.entries(this.actor.getSnapshot().children)) {
      const value = (child as AnyActorRef | undefined)?.getSnapshot().value;
      if (!id.startsWith('restart:') && typeof value === 'string') out[id] = value as ViewState;
    }
    return out;
  }

  send(event: SupervisorEvent): void {
    this.actor.send(event);
    this.checks.sync?.(this);
  }

  private restart(component: string): void {
    const views = this.views();
    const deps = Object.fromEntries(
      config.components.find((c) => c.id === component)!.hardDeps.map((d) => [d, views[d]]),
    );
    this.restarts.push({ at: this.clock.now(), component, deps });
    if (this.restartsFail) throw Object.assign(new Error('platform refused'), { code: 'EREFUSED' });
    // Like `docker restart`: the platform reports the kill and the start of the new process, at once
    // (the supervisor is mid-step here: the events queue, and the checks wait for the next step).
    this.pendingStarts = this.pendingStarts.filter((p) => p.target !== component);
    this.actor.send({ type: 'PROCESS_EXITED', component, at: this.clock.now() });
    this.start(component, false);
  }

  private start(component: string, check = true): void {
    this.status[component] = 'alive';
    this.liveSince[component] = undefined;
    const event: SupervisorEvent = { type: 'PROCESS_STARTED', component, at: this.clock.now() };
    if (check) this.send(event);
    else this.actor.send(event);
  }

  apply(cmd: Command): Promise<void> | void {
    const now = this.clock.now();
    switch (cmd.kind) {
      case 'advance':
        return this.advance(cmd.ms);
      case 'kill':
        if (this.status[cmd.target] === 'dead') return;
        this.status[cmd.target] = 'dead';
        this.send({ type: 'PROCESS_EXITED', component: cmd.target, at: now });
        if (cmd.platformDelayMs !== null)
          this.pendingStarts.push({ at: now + cmd.platformDelayMs, target: cmd.target });
        return;
      case 'hang':
        if (this.status[cmd.target] === 'alive') this.status[cmd.target] = 'hung';
        return;
      case 'resume':
        if (this.status[cmd.target] === 'hung') this.status[cmd.target] = 'alive';
        return;
      case 'infra':
        this.infraUp[cmd.target] = cmd.up;
        return;
      case 'socket':
        this.socketUp[cmd.target] = cmd.up;
        return;
      case 'restartsFail':
        this.restartsFail = cmd.on;
        return;
    }
  }

  private beat(component: string, t: number): HeartbeatPayload {
    const payload: HeartbeatPayload = { component, at: t, state: 'healthy' };
    if (COLLECTORS.includes(component as never)) {
      const connected = this.socketUp[component] && this.infraUp['broker-ws'];
      if (!connected) this.liveSince[component] = undefined;
      else {
        this.liveSince[component] ??= t;
        this.lastTick[component] = t;
      }
      const lastTick = this.lastTick[component];
      payload.brokerConnected = connected;
      payload.lastTickAt =
        lastTick === undefined ? {} : Object.fromEntries(COVERAGE[component].map((s) => [s, lastTick]));
      if (this.liveSince[component] !== undefined) payload.liveSince = this.liveSince[component];
    }
    this.lastBeat[component] = payload;
    return payload;
  }

  private async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (let t = Math.floor(this.clock.now() / STEP_MS) * STEP_MS + STEP_MS; t <= end; t += STEP_MS) {
      this.clock.set(t);
      this.checks.sync?.(this);
      for (const p of this.pendingStarts.filter((s) => s.at <= t)) {
        this.pendingStarts = this.pendingStarts.filter((s) => s !== p);
        if (this.status[p.target] !== 'dead') continue;
        this.platformStarts.push({ at: t, component: p.target });
        this.start(p.target);
      }
      const registry = this.infraUp['redis-main'];
      if (t % 1000 === 0) {
        for (const p of PROCESSES)
          if (registry && this.status[p] === 'alive')
            this.send({ type: 'HEARTBEAT', payload: this.beat(p, t) });
        for (const i of INFRA) {
          this.send(
            this.infraUp[i]
              ? { type: 'PROBE_OK', component: i, at: t }
              : { type: 'PROBE_FAILED', component: i, at: t, reason: 'ECONNREFUSED' },
          );
        }
      }
      if (t % 500 === 0)
        this.send(registry ? { type: 'REGISTRY_READ', at: t } : { type: 'REGISTRY_UNREACHABLE', at: t });
      await flush();
      this.checks.settled?.(this);
    }
  }

  async run(commands: Command[]): Promise<void> {
    for (const cmd of commands) await this.apply(cmd);
    await this.advance(8_000); // let every pending timer and restart play out
    this.actor.stop();
  }
}

/** fast-check parameters shared by every supervisor property. */
export function propertyParams(): fc.Parameters<[Command[]]> {
  const seed = process.env.TG_PROPERTY_SEED;
  return {
    numRuns: Number(process.env.TG_PROPERTY_RUNS ?? 200),
    ...(seed !== undefined ? { seed: Number(seed) } : {}),
    // fast-check prints the seed and the counterexample path on failure; rerun with TG_PROPERTY_SEED.
    verbose: 1,
  };
}
