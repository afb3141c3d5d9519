// Process assembly of one collector (docs/INTERNALS.md): broker WebSocket -> silent-loss check ->
// tick buffer or spool (TickPath), heartbeats and state mirroring, the control machine on the clock.
import { createActor, fromPromise, type ActorRefFrom } from 'xstate';
import { collectorHeartbeat, collectorMachine } from '../machines/collector.ts';
import { DEFAULT_BACKOFF, type BackoffPolicy } from '../machines/backoff.ts';
import { minuteOf, type SessionHours } from '../machines/marketHours.ts';
import { SilentLossDetector, type SilentLossGap } from '../machines/silentLoss.ts';
import type { BrokerName, GapOpenedEvent, TickBatch } from '../machines/types.ts';
import type { BrokerWs, BrokerWsHandlers } from '../ports/broker.ts';
import type { Clock } from '../ports/clock.ts';
import type { EventBus } from '../ports/eventBus.ts';
import type { Heartbeats } from '../ports/heartbeats.ts';
import type { StateMirror } from '../ports/stateMirror.ts';
import type { Spool, TickBuffer } from '../ports/tickBuffer.ts';
import {
  createHeartbeatSender,
  createOutbox,
  createStateReporter,
  seededRandom,
  statePath,
  type ComponentConfigSlice,
  type ComponentHandle,
} from './common.ts';
import { TickPath, type TickPathStats } from './collectorTickPath.ts';

/** The part of TgConfig a collector reads. */
export interface CollectorConfigSlice extends ComponentConfigSlice {
  stallTimeoutMs: number;
  session?: SessionHours;
}

export interface CollectorDeps {
  clock: Clock;
  ports: {
    brokerWs: BrokerWs;
    tickBuffer: TickBuffer;
    spool: Spool;
    heartbeats: Heartbeats;
    mirror: StateMirror;
    eventBus: EventBus;
  };
  config: CollectorConfigSlice;
  /** 'collector:kis-1' */
  name: string;
  broker: BrokerName;
  symbols: string[];
  /** Symbol volume (dispatch priority of silent-loss gaps). */
  volumes: Map<string, number>;
  /** Jitter source in [0, 1); default: a PRNG seeded by `name` (deterministic). */
  random?: () => number;
  /** Default config.session, else KRX hours; `{ ..., always: true }` for `--market-open always`. */
  sessionHours?: SessionHours;
  /** Override the broker's session cap (SESSION_CAPS). */
  sessionCap?: number;
  /** Reconnect and spool-replay back-off; default from config.restart, else DEFAULT_BACKOFF. */
  reconnect?: BackoffPolicy;
}

export interface CollectorStats extends TickPathStats {
  batchesReceived: number;
  ticksReceived: number;
  /** Batches that were not well-formed tick batches (dropped, never fatal). */
  malformedBatches: number;
  badFrames: number;
  silentLossGaps: number;
  eventsQueued: number;
}

export interface CollectorHandle extends ComponentHandle {
  actor: ActorRefFrom<typeof collectorMachine>;
  stats(): CollectorStats;
  /** Time of the last durable tick per symbol (what heartbeats report). */
  lastTickAt(): ReadonlyMap<string, number>;
}

function isTickBatch(b: unknown): b is TickBatch {
  if (!b || typeof b !== 'object') return false;
  const t = b as TickBatch;
  if (typeof t.symbol !== 'string' || typeof t.day !== 'string') return false;
  if (![t.ts, t.cumVolume, t.price, t.volume].every(Array.isArray)) return false;
  const n = t.ts.length;
  return n > 0 && t.cumVolume.length === n && t.price.length === n && t.volume.length === n;
}

export function startCollector(deps: CollectorDeps): CollectorHandle {
  const { clock, ports, config, name } = deps;
  const now = () => clock.now();
  const random = deps.random ?? seededRandom(name);
  const restart = config.restart;
  const reconnect =
    deps.reconnect ??
    (restart
      ? { baseMs: restart.backoffBaseMs, maxMs: restart.backoffMaxMs, jitter: restart.jitter }
      : DEFAULT_BACKOFF);

  const detector = new SilentLossDetector();
  const lastTickAt = new Map<string, number>();
  let lastReceivedAt: number | undefined;
  let stopped = false;
  let connection = 0;
  const counts = {
    batchesReceived: 0,
    ticksReceived: 0,
    malformedBatches: 0,
    badFrames: 0,
    silentLossGaps: 0,
  };

  const beats = createHeartbeatSender(ports.heartbeats, config.heartbeatTimeoutMs);
  const reporter = createStateReporter(ports.mirror, name, now);
  const outbox = createOutbox(ports.eventBus);

  const noteStored = (batches: TickBatch[]): void => {
    for (const b of batches) {
      const t = b.ts[b.ts.length - 1];
      if (Number.isFinite(t) && t > (lastTickAt.get(b.symbol) ?? -Infinity)) lastTickAt.set(b.symbol, t);
    }
  };
  const path = new TickPath({
    collector: name,
    tickBuffer: ports.tickBuffer,
    spool: ports.spool,
    onBufferFailed: (reason) => {
      if (!stopped) actor.send({ type: 'buffer.failed', reason });
    },
    onStored: noteStored,
  });

  const publishGap = (gap: SilentLossGap): void => {
    counts.silentLossGaps += 1;
    const event: GapOpenedEvent = {
      type: 'GAP_OPENED',
      // The gap id is already unique per (symbol, start): announcing the same gap twice dedupes.
      id: `GAP_OPENED:${gap.id}`,
      gap: {
        id: gap.id,
        collector: name,
        symbol: gap.symbol,
        start: gap.start,
        end: gap.end,
        status: 'pending',
        priority: deps.volumes.get(gap.symbol) ?? 0,
        recoveredUntil: minuteOf(gap.start),
        attempts: 0,
        reason: null,
      },
    };
    outbox.publish(event);
  };

  const receive = (batches: TickBatch[]): void => {
    lastReceivedAt = now();
    if (!Array.isArray(batches)) {
      counts.malformedBatches += 1;
      return;
    }
    let accepted: TickBatch[] = batches;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i];
      if (!isTickBatch(b)) {
        counts.malformedBatches += 1;
        if (accepted === batches) accepted = batches.slice(0, i);
        continue;
      }
      if (accepted !== batches) accepted.push(b);
      counts.batchesReceived += 1;
      counts.ticksReceived += b.ts.length;
      const gap = detector.check(b);
      if (gap) publishGap(gap);
    }
    if (accepted.length > 0) path.push(accepted);
  };

  const handlersFor = (id: number): BrokerWsHandlers => ({
    onBatches: (batches) => {
      if (stopped || id !== connection) return;
      try {
        receive(batches);
      } catch {
        counts.malformedBatches += 1;
      }
    },
    onClose: (reason) => {
      if (stopped || id !== connection) return;
      actor.send({ type: 'broker.closed', reason: String(reason) });
    },
    onBadFrame: () => {
      counts.badFrames += 1;
    },
  });

  const machine = collectorMachine.provide({
    actors: {
      connectBroker: fromPromise(async () => {
        const id = ++connection;
        // A new connection: continuity with the old one is the supervisor's call, not ours.
        detector.reset();
        await ports.brokerWs.close().catch(() => {});
        await ports.brokerWs.connect(handlersFor(id));
      }),
      subscribeSymbols: fromPromise(async ({ input }: { input: { symbols: string[] } }) =>
        ports.brokerWs.subscribe(input.symbols),
      ),
      replaySpool: fromPromise(async () => path.resume()),
    },
    actions: {
      sendHeartbeat: ({ context }) => {
        beats.send(collectorHeartbeat(context, now(), lastTickAt));
        // Piggy-back the retries of what redis-main refused meanwhile.
        reporter.retry();
        outbox.flush();
      },
      reportState: ({ context }, params) => reporter.report(params.state, params.detail, context.reason),
    },
  });

  const actor = createActor(machine, {
    clock,
    input: {
      name,
      broker: deps.broker,
      symbols: deps.symbols,
      sessionCap: deps.sessionCap,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      stallTimeoutMs: config.stallTimeoutMs,
      reconnect,
      sessionHours: deps.sessionHours ?? config.session,
      now,
      random,
      lastReceivedAt: () => lastReceivedAt,
    },
  });
  actor.start();

  return {
    id: name,
    actor,
    stop() {
      if (stopped) return;
      stopped = true;
      actor.stop();
      path.stop();
      ports.brokerWs.close().catch(() => {});
    },
    state: () => statePath(actor.getSnapshot().value),
    stats: () => ({ ...path.stats(), ...counts, eventsQueued: outbox.size() }),
    lastTickAt: () => lastTickAt,
  };
}
