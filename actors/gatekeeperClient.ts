// The gatekeeper client inside every process that calls broker REST: FIFO waiters get tokens from the
// shared bucket (RateLimitStore) while it answers, from a local share of the limit while it does not,
// and none while a broker rejection pauses the key. Mode decisions live in gatekeeperMachine.
import { createActor, fromPromise, type Actor } from 'xstate';
import { TgError } from '../machines/errors.ts';
import {
  gatekeeperMachine,
  gatekeeperMode,
  gatekeeperState,
  type GatekeeperConfigSlice,
} from '../machines/gatekeeper.ts';
import {
  globalLimit,
  localDebt,
  localLimit,
  localPlan,
  localStartDelayMs,
  peerAllowance,
} from '../machines/gatekeeperMath.ts';
import type { BrokerName } from '../machines/types.ts';
import type { Clock } from '../ports/clock.ts';
import type { Heartbeats } from '../ports/heartbeats.ts';
import type { RateLimitStore } from '../ports/rateLimitStore.ts';
import type { StateMirror } from '../ports/stateMirror.ts';
import {
  createSerialSleeper,
  createWaiterQueue,
  discoverPeers,
  rateLimitKey,
  timedCall,
} from './gatekeeperTiming.ts';
import { createStateReporter } from './common.ts';

export type GatekeeperMode = 'global' | 'local';

export interface GrantInfo {
  at: number;
  mode: GatekeeperMode;
  localRatePerSec?: number;
}

export interface GatekeeperClientDeps {
  clock: Clock;
  store: RateLimitStore;
  heartbeats: Heartbeats;
  config: GatekeeperConfigSlice;
  broker: BrokerName;
  appKey: string;
  clientId: string;
  /** Jitters the probe interval (+-10 %) so clients do not probe in lockstep; none when absent. */
  random?: () => number;
  onGrant?: (info: GrantInfo) => void;
  /** Mirrors the client's state (optional; the hosting process mirrors its own state anyway). */
  mirror?: StateMirror;
  /** Heartbeat component id; default `gatekeeper:${broker}:${clientId}` (peers share the prefix). */
  heartbeatId?: string;
}

export interface GatekeeperClient {
  /** Waits (FIFO) for a token; rejects TG_ERR_RATE_LIMITED once `deadlineAt` passes without one. */
  acquire(deadlineAt?: number, signal?: AbortSignal): Promise<void>;
  /** One attempt, no waiting; never jumps the FIFO queue. */
  tryAcquire(): Promise<{ granted: boolean; waitMs: number }>;
  reportRejection(retryAfterMs: number): void;
  /** The supervisor's GATEKEEPER_MODE: local at once; global only after a probe succeeds. */
  setMode(mode: GatekeeperMode): void;
  mode(): GatekeeperMode;
  localRatePerSec(): number;
  actor: Actor<typeof gatekeeperMachine>;
  stop(): void;
}

type Attempt = { granted: true; mode: GatekeeperMode } | { granted: false; waitMs: number };

export function createGatekeeperClient(deps: GatekeeperClientDeps): GatekeeperClient {
  const { clock, store, heartbeats, config } = deps;
  const limit = config.gatekeeper.limits[deps.broker];
  if (!limit || !(limit.ratePerSec > 0)) {
    throw new TgError(
      'TG_ERR_CONFIG',
      `gatekeeper.limits.${deps.broker}.ratePerSec must be a positive number`,
      {
        broker: deps.broker,
      },
    );
  }
  const key = rateLimitKey(deps.broker, deps.appKey);
  const slowCallMs = config.gatekeeper.slowCallMs;
  const probeIntervalMs = config.gatekeeper.probeIntervalMs;
  const peerPrefix = `gatekeeper:${deps.broker}:`;
  const heartbeatId = deps.heartbeatId ?? `${peerPrefix}${deps.clientId}`;
  const ttlMs = config.heartbeatTimeoutMs ?? config.heartbeatIntervalMs * 5;
  const call = <T>(fn: () => Promise<T>) => timedCall(clock, slowCallMs, fn);
  const waiters = createWaiterQueue(clock);
  const sleeper = createSerialSleeper(clock);
  let stopped = false;
  let busy = false;
  /** The local slot for which the store was already tried (and failed): grant it without retrying. */
  let triedSlot = -1;

  const reporter = deps.mirror && createStateReporter(deps.mirror, heartbeatId, () => clock.now());
  const machine = gatekeeperMachine.provide({
    actors: {
      probe: fromPromise<number>(async () => {
        const r = await call(() => store.ping());
        if (!r.ok) throw new TgError('TG_ERR_DEP_DOWN', `rate-limit store probe ${r.reason}`);
        return clock.now();
      }),
    },
    actions: {
      sendHeartbeat: () => void beat(),
      reportState: (_, params) => reporter?.report(params.state, params.state, params.reason),
    },
    delays: {
      probe: () => probeIntervalMs * (deps.random ? 0.9 + 0.2 * deps.random() : 1),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: {
      limit,
      safety: config.gatekeeper.safety,
      slowCallMs,
      probeIntervalMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
    },
  });
  actor.subscribe({ error: () => {} });
  let lastState = 'healthy';
  actor.subscribe((snap) => {
    const state = gatekeeperState(snap);
    if (state !== lastState) {
      lastState = state;
      sleeper.wake();
    }
  });

  function send(event: Parameters<typeof actor.send>[0]): void {
    if (!stopped) actor.send(event);
  }

  /** Beat, then find the live clients of this broker (beats carrying a mode) and our slot index. */
  async function beat(): Promise<void> {
    const snap = actor.getSnapshot();
    try {
      await heartbeats.beat(
        {
          component: heartbeatId,
          at: clock.now(),
          state: gatekeeperState(snap),
          gatekeeperMode: gatekeeperMode(snap),
        },
        ttlMs,
      );
      send({ type: 'PEERS', ...(await discoverPeers(heartbeats, peerPrefix, heartbeatId)) });
    } catch {
      // The registry lives on redis-main: while it is down the last known N stays in force.
    }
  }

  /**
   * Global path: first charge our own local grants of the last second and, after a silence long
   * enough to hide an outage, the peer allowance (so the shared bucket counts local grants before it
   * grants again), then one acquire.
   */
  async function globalAttempt(): Promise<Attempt | 'failed'> {
    const ctx = actor.getSnapshot().context;
    const started = clock.now();
    const tokens = localDebt(ctx, started) + peerAllowance(ctx, started);
    if (tokens > 0) {
      const r = await call(() => store.charge(key, globalLimit(ctx), tokens));
      if (!r.ok) return failed(r.reason);
      send({ type: 'DEBT_CHARGED', at: clock.now(), upTo: started });
    }
    const r = await call(() => store.acquire(key, globalLimit(actor.getSnapshot().context)));
    if (!r.ok) return failed(r.reason);
    const at = clock.now();
    send({ type: 'STORE_OK', at });
    if (gatekeeperState(actor.getSnapshot()) === 'down') return pausedAttempt();
    if (!r.value.granted) return { granted: false, waitMs: r.value.waitMs };
    send({ type: 'GLOBAL_GRANT', at });
    return { granted: true, mode: 'global' };
  }

  function failed(reason: 'slow' | 'failed'): 'failed' {
    const why = reason === 'slow' ? `store slower than ${slowCallMs} ms` : 'store call failed';
    send({ type: 'STORE_FAILED', at: clock.now(), reason: why });
    return 'failed';
  }

  function pausedAttempt(): Attempt {
    return { granted: false, waitMs: Math.max(1, actor.getSnapshot().context.pausedUntil - clock.now()) };
  }

  /** One decision for the head of the queue; a store outage turns into local mode, never an error. */
  async function attempt(): Promise<Attempt> {
    const snap = actor.getSnapshot();
    const state = gatekeeperState(snap);
    if (state === 'down') return pausedAttempt();
    if (state === 'healthy') {
      const g = await globalAttempt();
      return g === 'failed' ? { granted: false, waitMs: 0 } : g;
    }
    const now = clock.now();
    const plan = localPlan(snap.context, now);
    // Just before each local slot, try the store: a client never grants locally while the store
    // answers, so local and global grants cannot pile up once an outage ends.
    if (triedSlot !== plan.slot) {
      const lead = plan.at - slowCallMs - now;
      if (lead > 0) return { granted: false, waitMs: lead };
      const g = await globalAttempt();
      if (g !== 'failed') return g;
      triedSlot = plan.slot;
      return { granted: false, waitMs: 0 };
    }
    if (now < plan.at) return { granted: false, waitMs: plan.at - now };
    send({ type: 'LOCAL_GRANT', at: now, slot: plan.slot });
    return { granted: true, mode: 'local' };
  }

  /** Hand the token to the longest waiter; if every waiter gave up meanwhile it goes unused. */
  function deliver(mode: GatekeeperMode): void {
    if (waiters.size() === 0) return;
    reportGrant(mode);
    waiters.resolveFirst();
  }

  function reportGrant(mode: GatekeeperMode): void {
    deps.onGrant?.({ at: clock.now(), mode, localRatePerSec: mode === 'local' ? localRate() : undefined });
  }

  async function serve(): Promise<void> {
    if (busy || stopped) return;
    busy = true;
    try {
      let spins = 0;
      while (!stopped && waiters.size() > 0) {
        const r = await attempt();
        if (stopped) return;
        if (r.granted) {
          deliver(r.mode);
          spins = 0;
          continue;
        }
        // A zero wait follows a mode change or a failed store attempt; a longer run would be a loop.
        if (r.waitMs <= 0 && ++spins < 4) continue;
        spins = 0;
        // Ask again at least twice per local start delay while waiting: each answer proves no outage
        // (and so no peer's local grant) slipped in, so the next grant needs no peer allowance.
        const pollMs = localStartDelayMs(actor.getSnapshot().context) / 2;
        // Rounded down: with burst 1 every ms a grant comes late is lost for good, and a live timer
        // already fires late. Waking early costs one refused call; the store still decides.
        await sleeper.sleep(Math.max(1, Math.floor(Math.min(r.waitMs, pollMs))));
      }
    } finally {
      busy = false;
    }
  }

  function localRate(): number {
    return localLimit(actor.getSnapshot().context).ratePerSec;
  }

  function acquire(deadlineAt?: number, signal?: AbortSignal): Promise<void> {
    if (stopped) return Promise.reject(new TgError('TG_ERR_INTERNAL', 'gatekeeper client stopped'));
    const granted = waiters.add(deadlineAt, signal);
    void serve();
    return granted;
  }

  async function tryAcquire(): Promise<{ granted: boolean; waitMs: number }> {
    if (stopped || busy || waiters.size() > 0) {
      return { granted: false, waitMs: Math.ceil(1000 / Math.max(localRate(), 1e-9)) };
    }
    busy = true;
    try {
      const r = await attempt();
      if (r.granted && !stopped) {
        reportGrant(r.mode);
        return { granted: true, waitMs: 0 };
      }
      return { granted: false, waitMs: r.granted ? 0 : Math.max(0, r.waitMs) };
    } finally {
      busy = false;
      void serve();
    }
  }

  actor.start();

  return {
    acquire,
    tryAcquire,
    reportRejection: (retryAfterMs) => send({ type: 'REJECTED', at: clock.now(), retryAfterMs }),
    setMode: (mode) => send({ type: 'SET_MODE', at: clock.now(), mode }),
    mode: () => gatekeeperMode(actor.getSnapshot()),
    localRatePerSec: localRate,
    actor,
    stop() {
      if (stopped) return;
      stopped = true;
      sleeper.wake();
      actor.stop();
      waiters.rejectAll(new TgError('TG_ERR_INTERNAL', 'gatekeeper client stopped'));
    },
  };
}
