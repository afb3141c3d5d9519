// Process assembly of the recovery worker (docs/INTERNALS.md): Pub/Sub and the durable stream feed
// the gap ledger, the ledger feeds the back-fill scheduler, the gatekeeper client paces the broker;
// recoveryWorkerMachine decides when to run, pause and catch up. Same code in the simulator and live.
import { createActor, fromCallback, fromPromise, type ActorRefFrom } from 'xstate';
import { MINUTE_MS } from '../machines/marketHours.ts';
import { lastCompleteMinute } from '../machines/recoveryPlan.ts';
import {
  recoveryWorkerMachine,
  recoveryWorkerState,
  type RecoveryConfigSlice,
  type RecoveryWorkerEvent,
} from '../machines/recoveryWorker.ts';
import type { ComponentStateEvent, Gap, TgEvent } from '../machines/types.ts';
import type { BrokerRest } from '../ports/broker.ts';
import type { Clock } from '../ports/clock.ts';
import type { EventBus } from '../ports/eventBus.ts';
import type { Heartbeats } from '../ports/heartbeats.ts';
import type { RateLimitStore } from '../ports/rateLimitStore.ts';
import type { StateMirror } from '../ports/stateMirror.ts';
import type { Store } from '../ports/store.ts';
import {
  createHeartbeatSender,
  createOutbox,
  createStateReporter,
  statePath,
  type ComponentHandle,
} from './common.ts';
import { createGatekeeperClient, type GatekeeperClient, type GrantInfo } from './gatekeeperClient.ts';
import { GapIntake, repeatEvery, subscribeWithRetry, type IntakeEffects } from './recoveryIntake.ts';
import {
  RecoveryScheduler,
  type BackfillRequestInfo,
  type OutageOf,
  type SchedulerStats,
} from './recoveryScheduler.ts';
import { auditGaps } from './recoveryAudit.ts';
import { storeError } from './backfill.ts';
import { withTimeout, withTimeoutExcept } from './timeout.ts';

export interface RecoveryAuditOptions {
  intervalMs: number;
  /** Minutes back from the last complete minute that each run checks. */
  lookbackMinutes: number;
  symbols: () => string[] | Promise<string[]>;
  /** Minutes outside the session have no bars by design; default: every minute counts. */
  isTradingMinute?: (minute: number) => boolean;
}

export interface RecoveryWorkerDeps {
  clock: Clock;
  ports: {
    store: Store;
    brokerRest: BrokerRest;
    eventBus: EventBus;
    heartbeats: Heartbeats;
    mirror: StateMirror;
    rateLimitStore: RateLimitStore;
  };
  config: RecoveryConfigSlice;
  /** Component id and consumer name; default 'recovery-worker'. */
  name?: string;
  /** Called as each back-fill request goes out (the simulator's recovery-start latency). */
  onRequest?: (info: BackfillRequestInfo) => void;
  /** A shared gatekeeper client; by default the worker creates (and stops) its own. */
  gatekeeper?: GatekeeperClient;
  /** Passed to the worker's own gatekeeper client: every grant (the simulator checks invariant 3). */
  onGrant?: (info: GrantInfo) => void;
  random?: () => number;
  /** Minutes per request; default 30 (KIS page size). */
  barsPerRequest?: number;
  /** Wait after a minute ends before its bar counts as final; default 0 (complete at minute + 60 s). */
  settleMs?: number;
  /** No answer within this long = broker unreachable; default 10 s. */
  requestTimeoutMs?: number;
  /** Failed requests of one gap (not outages, not rejections) before it is unrecoverable; default 5. */
  maxAttempts?: number;
  /** Periodic data audit; off unless given. */
  audit?: RecoveryAuditOptions;
}

export interface RecoveryWorkerHandle extends ComponentHandle {
  actor: ActorRefFrom<typeof recoveryWorkerMachine>;
  gatekeeper: GatekeeperClient;
  /** Queue minutes missing from bars_1m in [fromMinute, toMinute) as gaps; returns how many gaps. */
  dataAudit(symbols: string[], fromMinute: number, toMinute: number): Promise<number>;
  stats(): SchedulerStats | undefined;
}

/** The supervisor's word that a dependency answers again (its probe succeeded). */
function isBack(e: ComponentStateEvent, component: string | undefined): boolean {
  return e.actor === component && (e.to === 'recovering' || e.to === 'healthy');
}

export function startRecoveryWorker(deps: RecoveryWorkerDeps): RecoveryWorkerHandle {
  const { clock, ports, config } = deps;
  const name = deps.name ?? 'recovery-worker';
  const now = () => clock.now();
  const gatekeeper =
    deps.gatekeeper ??
    createGatekeeperClient({
      clock,
      store: ports.rateLimitStore,
      heartbeats: ports.heartbeats,
      config,
      broker: ports.brokerRest.broker,
      appKey: ports.brokerRest.appKey,
      clientId: name,
      random: deps.random,
      onGrant: deps.onGrant,
    });
  const heartbeat = createHeartbeatSender(ports.heartbeats, config.heartbeatTimeoutMs);
  const reporter = createStateReporter(ports.mirror, name, now);
  const outbox = createOutbox(ports.eventBus);
  let volumes = new Map<string, number>();
  const intake = new GapIntake({
    store: ports.store,
    eventBus: ports.eventBus,
    consumer: name,
    volumes: () => volumes,
  });
  const options = {
    barsPerRequest: deps.barsPerRequest ?? 30,
    settleMs: deps.settleMs ?? 0,
    concurrency: Math.max(1, config.recovery.concurrency),
    agingMs: config.recovery.agingMs,
    requestTimeoutMs: deps.requestTimeoutMs ?? 10_000,
    maxAttempts: deps.maxAttempts ?? 5,
  };
  let scheduler: RecoveryScheduler | undefined;
  let loaded: Gap[] = [];
  /** Effects that arrived while no scheduler ran (during catch-up). */
  let pending: IntakeEffects[] = [];
  /** What failed last, so the probe checks that dependency and the supervisor's word about it counts. */
  let brokerProbeSymbol: string | undefined;
  let outageOf: OutageOf | undefined;
  let stopped = false;

  const onEffects = (fx: IntakeEffects): void => {
    if (fx.mode) gatekeeper.setMode(fx.mode);
    if (!scheduler) {
      pending.push(fx);
      return;
    }
    for (const gap of fx.gaps) scheduler.upsert(gap);
    for (const c of fx.closed) scheduler.close(c.id, c.end);
  };

  const send = (event: RecoveryWorkerEvent): void => {
    if (!stopped) actor.send(event);
  };

  /** Remember what failed (the probe checks it; the supervisor's word about it resumes the worker). */
  const outage = (dependency: OutageOf, reason: string, symbol?: string): RecoveryWorkerEvent => {
    outageOf = dependency;
    brokerProbeSymbol = dependency === 'broker-rest' ? symbol : undefined;
    return { type: 'OUTAGE', reason };
  };

  const machine = recoveryWorkerMachine.provide({
    actors: {
      startup: fromPromise(async () => {
        pending = [];
        try {
          // Bus outages are tolerated inside catchUp; what escapes is the ledger being unreachable.
          await intake.catchUp(onEffects);
          volumes = await ports.store.symbolVolumes();
          loaded = await ports.store.listGaps(['open', 'pending', 'recovering']);
        } catch (e) {
          outage('timescaledb', 'startup');
          throw storeError(e);
        }
      }),
      work: fromCallback(({ sendBack }) => {
        const s = new RecoveryScheduler({
          clock,
          store: ports.store,
          brokerRest: ports.brokerRest,
          gatekeeper,
          publish: (event: TgEvent) => outbox.publish(event),
          name,
          options,
          onRequest: deps.onRequest,
          beforePick: () => intake.idle(),
          onOutage: (dependency, reason, symbol) => sendBack(outage(dependency, reason, symbol)),
          onFatal: (error) => sendBack({ type: 'FATAL', reason: `internal error: ${String(error)}` }),
        });
        scheduler = s;
        for (const gap of loaded) s.upsert(gap);
        loaded = [];
        for (const fx of pending.splice(0)) onEffects(fx);
        const timers = startPeriodic((reason) => sendBack(outage('timescaledb', reason)));
        return () => {
          timers();
          s.stop();
          if (scheduler === s) scheduler = undefined;
        };
      }),
      probe: fromPromise(async () => {
        await withTimeout(clock, options.requestTimeoutMs, () => ports.store.ping(), 'store');
        const symbol = brokerProbeSymbol;
        if (symbol !== undefined) {
          // The broker is probed with one real (rate-limited) request: it has no cheaper health call.
          await gatekeeper.acquire(clock.now() + options.requestTimeoutMs);
          // A broker with short pages may need more than one request for 30 bars: a token each.
          const permit = () => gatekeeper.acquire(clock.now() + options.requestTimeoutMs);
          await withTimeoutExcept(
            clock,
            options.requestTimeoutMs,
            (paused) => ports.brokerRest.minuteBars(symbol, clock.now(), () => paused(permit)),
            'broker',
            'TG_ERR_BROKER_DOWN',
          );
          brokerProbeSymbol = undefined;
        }
      }),
    },
    actions: {
      sendHeartbeat: () => {
        heartbeat.send({ component: name, at: now(), state: recoveryWorkerState(actor.getSnapshot()) });
        reporter.retry();
        outbox.flush();
      },
      reportState: (_, params) => reporter.report(params.state, params.state, params.reason),
    },
    delays: {
      probe: () => config.gatekeeper.probeIntervalMs * (deps.random ? 0.9 + 0.2 * deps.random() : 1),
    },
  });

  /** Stream drain every heartbeat (Pub/Sub may drop events) and the optional audit. */
  function startPeriodic(outage: (reason: string) => void): () => void {
    let draining = false;
    const drainTimer = repeatEvery(clock, config.heartbeatIntervalMs, () => {
      if (draining) return;
      draining = true;
      intake.drain(onEffects).then(
        () => (draining = false),
        (e) => outage(e instanceof Error ? e.message : String(e)),
      );
    });
    const audit = deps.audit;
    const auditTimer = audit
      ? repeatEvery(clock, audit.intervalMs, () => {
          void (async () => {
            const to = lastCompleteMinute(now(), options.settleMs) + MINUTE_MS;
            const symbols = await audit.symbols();
            await dataAudit(symbols, to - audit.lookbackMinutes * MINUTE_MS, to, audit.isTradingMinute);
          })().catch((e) => outage(e instanceof Error ? e.message : String(e)));
        })
      : () => {};
    return () => {
      drainTimer();
      auditTimer();
    };
  }

  async function dataAudit(
    symbols: string[],
    fromMinute: number,
    toMinute: number,
    isTradingMinute?: (minute: number) => boolean,
  ): Promise<number> {
    const limit = lastCompleteMinute(now(), options.settleMs) + MINUTE_MS;
    const gaps = await auditGaps(
      ports.store,
      volumes,
      symbols,
      fromMinute,
      Math.min(toMinute, limit),
      isTradingMinute,
    );
    for (const gap of gaps)
      onEffects(await intake.apply({ type: 'GAP_OPENED', id: `AUDIT:${name}:${gap.id}`, gap }));
    return gaps.length;
  }

  const actor = createActor(machine, {
    clock,
    input: {
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      probeIntervalMs: config.gatekeeper.probeIntervalMs,
    },
  });
  actor.subscribe({ error: () => {} });

  // Pub/Sub for immediacy; while the worker is not running the stream keeps the events for catch-up.
  const unsubscribe = subscribeWithRetry(
    ports.eventBus,
    clock,
    config.gatekeeper.probeIntervalMs,
    (event) => {
      if (stopped) return;
      if (event.type === 'COMPONENT_STATE' && isBack(event, outageOf)) {
        send({ type: 'DEPENDENCY_UP', component: event.actor });
        return;
      }
      const state = recoveryWorkerState(actor.getSnapshot());
      if (stopped || state === 'degraded' || state === 'down') return;
      intake.apply(event).then(onEffects, (e) => {
        if (recoveryWorkerState(actor.getSnapshot()) === 'healthy') send(outage('timescaledb', e.message));
      });
    },
  );
  actor.start();

  return {
    id: name,
    actor,
    gatekeeper,
    state: () => statePath(actor.getSnapshot().value),
    stats: () => scheduler?.stats(),
    dataAudit: (symbols, fromMinute, toMinute) => dataAudit(symbols, fromMinute, toMinute),
    stop() {
      if (stopped) return;
      stopped = true;
      actor.stop();
      scheduler?.stop();
      if (!deps.gatekeeper) gatekeeper.stop();
      unsubscribe();
    },
  };
}
