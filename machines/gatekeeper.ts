// The gatekeeper client's mode machine: healthy = global (shared bucket), degraded = local share,
// recovering = half-open probe of the shared store, down = paused after a broker rejection (AIMD).
// Pure: the client actor does the store calls and reports their outcome as events.
import { assign, fromPromise, raise, setup, type SnapshotFrom } from 'xstate';
import { DEFAULT_AIMD, aimdInit, aimdOnRejection, aimdOnSuccess, type AimdConfig } from './aimd.ts';
import { localStartSlot, localTatAfter, pruneGrants, type BucketNumbers } from './gatekeeperMath.ts';
import type { HealthState } from './types.ts';

/** The part of TgConfig the gatekeeper reads (TgConfig is assignable to it). */
export interface GatekeeperConfigSlice {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs?: number;
  gatekeeper: {
    safety: number;
    slowCallMs: number;
    probeIntervalMs: number;
    limits: Record<string, { ratePerSec: number; burst: number }>;
  };
}

export interface GatekeeperInput {
  limit: { ratePerSec: number; burst: number };
  safety: number;
  slowCallMs: number;
  probeIntervalMs: number;
  heartbeatIntervalMs: number;
  aimd?: AimdConfig;
}

export interface GatekeeperContext extends BucketNumbers {
  probeIntervalMs: number;
  heartbeatIntervalMs: number;
  aimdConfig: AimdConfig;
  /** Where the client goes when a pause ends: the store's health as last seen. */
  storeMode: 'global' | 'local';
  pausedUntil: number;
  pauseMs: number;
  reason: string;
}

export type GatekeeperEvent =
  | { type: 'STORE_OK'; at: number }
  | { type: 'STORE_FAILED'; at: number; reason: string }
  | { type: 'GLOBAL_GRANT'; at: number }
  | { type: 'LOCAL_GRANT'; at: number; slot: number }
  | { type: 'DEBT_CHARGED'; at: number; upTo: number }
  | { type: 'REJECTED'; at: number; retryAfterMs: number }
  | { type: 'SET_MODE'; at: number; mode: 'global' | 'local' }
  | { type: 'PEERS'; count: number; index: number }
  | { type: 'HEARTBEAT_TICK' };

type At<T extends GatekeeperEvent['type']> = Extract<GatekeeperEvent, { type: T }>;

const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * Local mode starts empty: no local grant until a slot plus a slow call after entering. The contact
 * record is dropped: after any local episode the first global grant pays the peer allowance.
 */
function enterLocal(c: GatekeeperContext, at: number, reason: string): Partial<GatekeeperContext> {
  return {
    storeMode: 'local',
    localTatSlot: Math.max(c.localTatSlot, localStartSlot(c, at)),
    lastContactAt: -Infinity,
    reason,
  };
}

/** Only answers received in global mode prove this client saw no outage in between. */
function contact(c: GatekeeperContext, at: number): number {
  return c.storeMode === 'global' ? at : c.lastContactAt;
}

function pause(c: GatekeeperContext, e: At<'REJECTED'>): Partial<GatekeeperContext> {
  const wait = e.retryAfterMs > 0 ? e.retryAfterMs : DEFAULT_RETRY_AFTER_MS;
  const pausedUntil = Math.max(c.pausedUntil, e.at + wait);
  return {
    pausedUntil,
    pauseMs: pausedUntil - e.at,
    aimd: aimdOnRejection(c.aimd, e.at, c.limit.ratePerSec, c.aimdConfig),
    reason: `broker rejection: paused ${pausedUntil - e.at} ms`,
  };
}

export const gatekeeperMachine = setup({
  types: {
    context: {} as GatekeeperContext,
    events: {} as GatekeeperEvent,
    input: {} as GatekeeperInput,
  },
  actors: {
    /** Ping the shared store; resolves with the time it answered, rejects when down or slow. */
    probe: fromPromise<number>(async () => {
      throw new Error('probe not provided');
    }),
  },
  actions: {
    reportState: (_, _params: { state: HealthState; reason: string }) => {},
    sendHeartbeat: () => {},
  },
  delays: {
    heartbeat: ({ context }) => context.heartbeatIntervalMs,
    probe: ({ context }) => context.probeIntervalMs,
    pause: ({ context }) => context.pauseMs,
  },
  guards: {
    wantsLocal: ({ event }) => event.type === 'SET_MODE' && event.mode === 'local',
    wantsGlobal: ({ event }) => event.type === 'SET_MODE' && event.mode === 'global',
    storeWasGlobal: ({ context }) => context.storeMode === 'global',
  },
}).createMachine({
  id: 'gatekeeper',
  initial: 'healthy',
  context: ({ input }) => ({
    limit: input.limit,
    safety: input.safety,
    slowCallMs: input.slowCallMs,
    peers: 1,
    peerIndex: 0,
    aimd: aimdInit(input.limit.ratePerSec),
    aimdConfig: input.aimd ?? DEFAULT_AIMD,
    localTatSlot: 0,
    localGrants: [],
    lastContactAt: -Infinity,
    probeIntervalMs: input.probeIntervalMs,
    heartbeatIntervalMs: input.heartbeatIntervalMs,
    storeMode: 'global',
    pausedUntil: -Infinity,
    pauseMs: 0,
    reason: 'started',
  }),
  entry: ['sendHeartbeat', raise({ type: 'HEARTBEAT_TICK' }, { delay: 'heartbeat', id: 'heartbeat' })],
  on: {
    HEARTBEAT_TICK: {
      actions: ['sendHeartbeat', raise({ type: 'HEARTBEAT_TICK' }, { delay: 'heartbeat', id: 'heartbeat' })],
    },
    PEERS: {
      actions: assign(({ event }) => ({
        peers: Math.max(1, Math.floor(event.count)),
        peerIndex: event.index,
      })),
    },
    STORE_OK: { actions: assign({ lastContactAt: ({ context, event }) => contact(context, event.at) }) },
    GLOBAL_GRANT: {
      actions: assign(({ context: c, event: e }) => ({
        lastContactAt: contact(c, e.at),
        aimd: aimdOnSuccess(c.aimd, e.at, c.limit.ratePerSec, c.aimdConfig),
      })),
    },
    LOCAL_GRANT: {
      actions: assign(({ context: c, event: e }) => ({
        localTatSlot: localTatAfter(c, e.slot),
        localGrants: [...pruneGrants(c.localGrants, e.at), e.at],
        aimd: aimdOnSuccess(c.aimd, e.at, c.limit.ratePerSec, c.aimdConfig),
      })),
    },
    DEBT_CHARGED: {
      actions: assign(({ context: c, event: e }) => ({
        lastContactAt: contact(c, e.at),
        localGrants: c.localGrants.filter((t) => t > e.upTo),
      })),
    },
  },
  states: {
    healthy: {
      entry: [
        assign({ storeMode: 'global' }),
        { type: 'reportState', params: ({ context }) => ({ state: 'healthy', reason: context.reason }) },
      ],
      on: {
        STORE_FAILED: {
          target: 'degraded',
          actions: assign(({ context, event }) => enterLocal(context, event.at, event.reason)),
        },
        SET_MODE: {
          guard: 'wantsLocal',
          target: 'degraded',
          actions: assign(({ context, event }) =>
            enterLocal(context, event.at, 'supervisor: GATEKEEPER_MODE local'),
          ),
        },
        REJECTED: {
          target: 'down',
          actions: assign(({ context, event }) => ({
            ...pause(context, event),
            storeMode: 'global' as const,
          })),
        },
      },
    },
    degraded: {
      entry: {
        type: 'reportState',
        params: ({ context }) => ({ state: 'degraded', reason: context.reason }),
      },
      after: { probe: 'recovering' },
      on: {
        // Any answer from the store is a successful probe (the attempt made before each local grant).
        STORE_OK: { target: 'healthy', actions: assign({ reason: 'store answered' }) },
        SET_MODE: { guard: 'wantsGlobal', target: 'recovering' },
        REJECTED: {
          target: 'down',
          actions: assign(({ context, event }) => ({
            ...pause(context, event),
            storeMode: 'local' as const,
          })),
        },
      },
    },
    recovering: {
      entry: {
        type: 'reportState',
        params: () => ({ state: 'recovering' as const, reason: 'probing the shared store' }),
      },
      invoke: {
        id: 'probe',
        src: 'probe',
        onDone: {
          target: 'healthy',
          actions: assign({ reason: 'probe succeeded' }),
        },
        onError: { target: 'degraded', actions: assign({ reason: 'probe failed' }) },
      },
      on: {
        STORE_OK: { target: 'healthy', actions: assign({ reason: 'store answered' }) },
        SET_MODE: {
          guard: 'wantsLocal',
          target: 'degraded',
          actions: assign({ reason: 'supervisor: GATEKEEPER_MODE local' }),
        },
        REJECTED: {
          target: 'down',
          actions: assign(({ context, event }) => ({
            ...pause(context, event),
            storeMode: 'local' as const,
          })),
        },
      },
    },
    down: {
      entry: { type: 'reportState', params: ({ context }) => ({ state: 'down', reason: context.reason }) },
      after: { pause: [{ guard: 'storeWasGlobal', target: 'healthy' }, { target: 'degraded' }] },
      on: {
        REJECTED: {
          target: 'down',
          reenter: true,
          actions: assign(({ context, event }) => pause(context, event)),
        },
        STORE_FAILED: {
          actions: assign(({ context, event }) => ({ ...enterLocal(context, event.at, event.reason) })),
        },
        SET_MODE: {
          guard: 'wantsLocal',
          actions: assign(({ context, event }) =>
            enterLocal(context, event.at, 'supervisor: GATEKEEPER_MODE local'),
          ),
        },
      },
    },
  },
});

export type GatekeeperSnapshot = SnapshotFrom<typeof gatekeeperMachine>;

/** Top-level health state of a gatekeeper snapshot. */
export function gatekeeperState(snapshot: { value: unknown }): HealthState {
  return (
    typeof snapshot.value === 'string' ? snapshot.value : Object.keys(snapshot.value as object)[0]
  ) as HealthState;
}

/** Which bucket grants right now: the shared one only while healthy (or paused from healthy). */
export function gatekeeperMode(snapshot: { value: unknown; context: GatekeeperContext }): 'global' | 'local' {
  const state = gatekeeperState(snapshot);
  if (state === 'healthy') return 'global';
  if (state === 'down') return snapshot.context.storeMode;
  return 'local';
}
