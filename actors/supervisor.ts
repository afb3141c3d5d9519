// Process assembly of the supervisor (docs/INTERNALS.md): feeds the machine from the ports (heartbeat
// registry polls, the state mirror, infrastructure probes, platform lifecycle) and performs its effects
// (an outbox that keeps every event until the bus takes it, mirror writes retried until they land,
// restarts through ProcessControl). The same code runs in the simulator and in live processes.
import { createActor, fromPromise, type Actor } from 'xstate';
import { validateConfig, withCollectors, isCollectorId, type TgConfig } from '../machines/config.ts';
import { openGaps, type OpenGap } from '../machines/coverage.ts';
import { TgError } from '../machines/errors.ts';
import { MirrorWriter, Outbox, reasonOf } from './supervisorOutbox.ts';
import { withTimeout } from './timeout.ts';
import { supervisorMachine } from '../machines/supervisor.ts';
import { createCore } from '../machines/supervisorCore.ts';
import { viewMirrorKey, type SupervisorEvent } from '../machines/supervisorTypes.ts';
import type { Gap, GapStatus, HeartbeatPayload, TgEvent, ViewState } from '../machines/types.ts';
import type { Clock } from '../ports/clock.ts';
import type { EventBus } from '../ports/eventBus.ts';
import type { Heartbeats } from '../ports/heartbeats.ts';
import type { ProcessControl } from '../ports/processControl.ts';
import type { StateMirror } from '../ports/stateMirror.ts';
import type { OutboxStore } from '../ports/outboxStore.ts';

export interface SupervisorPorts {
  heartbeats: Heartbeats;
  mirror: StateMirror;
  eventBus: EventBus;
  processControl: ProcessControl;
  /** Reachability checks of infrastructure ('redis-main', 'timescaledb', ...); reject = failed. */
  probes?: Partial<Record<string, () => Promise<void>>>;
  /**
   * The gap ledger (Store.listGaps), read once at start so that gaps a previous supervisor opened
   * are closed by this one when coverage returns. Optional: without it they stay open in the ledger.
   */
  ledger?: { listGaps(statuses?: GapStatus[]): Promise<Gap[]> };
  /** Local-disk outbox: unpublished events survive a supervisor restart (see ports/outboxStore.ts). */
  outboxStore?: OutboxStore;
}

export interface SupervisorDeps {
  clock: Clock;
  ports: SupervisorPorts;
  /** A TgConfig or partial; collectors named in `coverage` are added if missing. */
  config: unknown;
  coverage?: Record<string, string[]>;
  volumes?: Record<string, number> | ReadonlyMap<string, number>;
  halted?: string[];
  /** Seeded in the simulator (jitter of the restart back-off); Math.random when absent. */
  rng?: { next(): number } | (() => number);
  /** Event id prefix; default `supervisor@${clock.now()}` (unique per run, deterministic in the sim). */
  name?: string;
  /** Every event the supervisor publishes, synchronously (the simulator's timeline). */
  onEvent?: (event: TgEvent) => void;
  /** An error of the machine itself (should never happen; children errors are handled inside). */
  onError?: (error: unknown) => void;
}

export interface SupervisorHandle {
  id: string;
  actor: Actor<typeof supervisorMachine>;
  stop(): void;
  /** 'running' or 'misconfigured'. */
  state(): string;
  views(): Record<string, ViewState>;
  openGaps(): OpenGap[];
  /** Events waiting for the bus (non-zero while redis-main is down). */
  pendingEvents(): number;
  /** Operator and test entry point (RESET, SET_HALTED, ...). */
  send(event: SupervisorEvent): void;
}

function randomOf(rng: SupervisorDeps['rng']): () => number {
  if (typeof rng === 'function') return rng;
  if (rng) return () => rng.next();
  return Math.random;
}

/** Validate config and coverage the way the machine will; throws the coded TgError before start. */
export function supervisorConfig(deps: Pick<SupervisorDeps, 'config' | 'coverage'>): TgConfig {
  let config = validateConfig(deps.config);
  const missing = Object.keys(deps.coverage ?? {}).filter(
    (id) => !config.components.some((c) => c.id === id),
  );
  const unnamed = missing.filter((id) => !isCollectorId(id));
  if (unnamed.length > 0) {
    throw new TgError(
      'TG_ERR_CONFIG',
      `coverage names "${unnamed[0]}", which is not a collector id (collector:NAME)`,
      {
        field: `coverage.${unnamed[0]}`,
      },
    );
  }
  if (missing.length > 0) config = withCollectors(config, missing);
  return config;
}

export function startSupervisor(deps: SupervisorDeps): SupervisorHandle {
  const { clock, ports } = deps;
  const config = supervisorConfig(deps);
  const volumes =
    deps.volumes instanceof Map ? Object.fromEntries(deps.volumes) : { ...(deps.volumes ?? {}) };
  const input = {
    config,
    coverage: deps.coverage,
    volumes,
    halted: deps.halted,
    now: () => clock.now(),
    random: randomOf(deps.rng),
    idPrefix: deps.name ?? `supervisor@${clock.now()}`,
  };
  const core = createCore(input); // throws the same coded errors the machine would park on
  let stopped = false;
  const timers = new Set<unknown>();
  const outbox = new Outbox(ports.eventBus, ports.outboxStore);
  const mirrorWriter = new MirrorWriter(ports.mirror);

  const machine = supervisorMachine.provide({
    actions: {
      publish: (_, params) => {
        outbox.push(params.event);
        deps.onEvent?.(params.event);
      },
      mirror: (_, write) => mirrorWriter.set(write),
    },
    actors: {
      restartComponent: fromPromise<void, { component: string }>(({ input: i }) =>
        ports.processControl.restart(i.component),
      ),
    },
  });
  const actor = createActor(machine, { clock, input });
  actor.subscribe({ error: (e) => deps.onError?.(e) });
  const send = (event: SupervisorEvent) => {
    if (!stopped) actor.send(event);
  };

  function every(ms: number, fn: () => Promise<number | void>): void {
    const tick = () => {
      timers.delete(handle);
      if (stopped) return;
      void fn().then((next) => {
        if (stopped) return;
        handle = clock.setTimeout(tick, typeof next === 'number' ? next : ms);
        timers.add(handle);
      });
    };
    let handle = clock.setTimeout(tick, 0);
    timers.add(handle);
  }

  const interval = core.config.heartbeatIntervalMs;
  const mirrorSeen = new Map<string, number>();

  /** Components' own mirrored states: hints between beats (their key is the component id). */
  async function readMirror(): Promise<void> {
    try {
      const states = await withTimeout(clock, interval / 2, () => ports.mirror.all(), 'state mirror read');
      for (const m of states) {
        const seen = mirrorSeen.get(m.actor) ?? -Infinity;
        if (!(m.actor in core.traits) || m.state === 'failed' || seen >= m.at) continue;
        mirrorSeen.set(m.actor, m.at);
        send({ type: 'STATE_MIRRORED', component: m.actor, state: m.state, at: m.at });
      }
    } catch {
      // Same server as the registry: its outage is already reported by the poll.
    }
  }

  let ledgerRead = !ports.ledger;
  let readingLedger = false;
  /** Adopt the ledger's gaps once (retried on every poll until the store answers). */
  async function readLedger(): Promise<void> {
    const ledger = ports.ledger;
    if (ledgerRead || readingLedger || !ledger) return;
    readingLedger = true;
    try {
      const rows = await withTimeout(clock, interval, () => ledger.listGaps(), 'gap ledger read');
      ledgerRead = true;
      const gaps = rows.map((g) => ({
        gapId: g.id,
        symbol: g.symbol,
        start: g.start,
        end: g.end,
        priority: g.priority,
        collector: g.collector,
      }));
      if (gaps.length > 0) send({ type: 'SEED_GAPS', gaps });
    } catch {
      // timescaledb is down: try again on the next poll
    } finally {
      readingLedger = false;
    }
  }

  /**
   * A previous life's unpublished events: republish them (same ids, consumers dedupe) and adopt
   * the gaps they opened or closed, so a gap announced while redis-main was down is not forgotten.
   */
  async function restoreOutbox(store: OutboxStore): Promise<void> {
    const saved = await store.load().catch(() => [] as TgEvent[]);
    if (stopped || saved.length === 0) return;
    const gaps = new Map<
      string,
      {
        gapId: string;
        symbol: string;
        start: number;
        end: number | null;
        priority: number;
        collector: string;
      }
    >();
    for (const e of saved) {
      if (e.type === 'COLLECTOR_DOWN') {
        for (const g of e.gaps) gaps.set(g.gapId, { ...g, end: null, collector: e.collector });
      } else if (e.type === 'COLLECTOR_UP') {
        for (const c of e.closed) {
          const gap = gaps.get(c.gapId);
          if (gap) gap.end = c.end;
        }
      }
    }
    outbox.restore(saved);
    if (gaps.size > 0) send({ type: 'SEED_GAPS', gaps: [...gaps.values()] });
  }

  const seenBeat = new Map<string, HeartbeatPayload>();
  async function poll(): Promise<void> {
    void readLedger();
    const at = clock.now();
    try {
      const beats = await withTimeout(
        clock,
        interval / 2,
        () => ports.heartbeats.live(),
        'heartbeat registry read',
      );
      // The registry is read twice per interval: skip a beat already passed on. Identity, not `at`:
      // two beats of one instant can differ (a state change beats at once), and a live registry
      // returns fresh objects on every read, so there nothing is skipped.
      for (const payload of beats) {
        if (seenBeat.get(payload.component) === payload) continue;
        seenBeat.set(payload.component, payload);
        send({ type: 'HEARTBEAT', payload });
      }
      send({ type: 'REGISTRY_READ', at });
      await readMirror();
    } catch (e) {
      send({ type: 'REGISTRY_UNREACHABLE', at, reason: reasonOf(e) });
    }
    void outbox.flush();
    void mirrorWriter.flush();
  }

  function probeLoop(component: string, probe: () => Promise<void>): void {
    every(interval, async () => {
      try {
        await withTimeout(clock, interval, () => probe(), `probe of ${component}`);
        send({ type: 'PROBE_OK', component, at: clock.now() });
        return interval;
      } catch (e) {
        send({ type: 'PROBE_FAILED', component, at: clock.now(), reason: reasonOf(e) });
        return interval / 4; // confirm an outage quickly (down takes two failures in a row)
      }
    });
  }

  const unsubscribe = ports.processControl.onLifecycle((e) => {
    if (!(e.component in core.traits)) return;
    send(
      e.kind === 'exited'
        ? { type: 'PROCESS_EXITED', component: e.component, at: e.at }
        : { type: 'PROCESS_STARTED', component: e.component, at: e.at },
    );
  });
  actor.start();
  if (ports.outboxStore) void restoreOutbox(ports.outboxStore);
  every(interval / 2, poll);
  for (const [component, probe] of Object.entries(ports.probes ?? {})) {
    if (probe && core.traits[component]?.kind === 'infrastructure') probeLoop(component, probe);
  }

  return {
    id: 'supervisor',
    actor,
    stop() {
      if (stopped) return;
      stopped = true;
      outbox.close();
      mirrorWriter.close();
      for (const t of timers) clock.clearTimeout(t);
      timers.clear();
      unsubscribe();
      actor.stop();
    },
    state() {
      const value = actor.getSnapshot().value;
      return typeof value === 'string' ? value : Object.keys(value)[0];
    },
    views() {
      const out: Record<string, ViewState> = {};
      const children = actor.getSnapshot().children as Record<
        string,
        { getSnapshot(): { value: unknown } } | undefined
      >;
      for (const id of core.graph.order) {
        const value = children[id]?.getSnapshot().value;
        if (typeof value === 'string' && value !== 'init') out[id] = value as ViewState;
      }
      return out;
    },
    openGaps: () => openGaps(actor.getSnapshot().context.core.coverage),
    pendingEvents: () => outbox.size(),
    send,
  };
}

export { viewMirrorKey };
