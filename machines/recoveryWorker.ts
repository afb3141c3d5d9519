// The recovery worker's lifecycle: recovering = catching up from the event stream and the gap ledger,
// healthy = back-filling, degraded = paused by a store or broker outage (probe, then catch up again),
// down = an unexpected internal error (the supervisor restarts the process; the ledger makes it safe).
import { assign, fromCallback, fromPromise, raise, setup } from 'xstate';
import type { GatekeeperConfigSlice } from './gatekeeper.ts';
import type { HealthState } from './types.ts';

/** The part of TgConfig the recovery worker reads (TgConfig is assignable to it). */
export interface RecoveryConfigSlice extends GatekeeperConfigSlice {
  heartbeatTimeoutMs: number;
  recovery: { agingMs: number; concurrency: number; boundaryMinutes?: number };
}

export interface RecoveryWorkerInput {
  heartbeatIntervalMs: number;
  probeIntervalMs: number;
}

export interface RecoveryWorkerContext extends RecoveryWorkerInput {
  reason: string;
  outages: number;
}

export type RecoveryWorkerEvent =
  | { type: 'OUTAGE'; reason: string }
  | { type: 'FATAL'; reason: string }
  /** The supervisor's probe saw the dependency that failed answer again: resume at once. */
  | { type: 'DEPENDENCY_UP'; component: string }
  | { type: 'HEARTBEAT_TICK' };

export type ReportParams = { state: HealthState; reason: string };

export const recoveryWorkerMachine = setup({
  types: {
    context: {} as RecoveryWorkerContext,
    events: {} as RecoveryWorkerEvent,
    input: {} as RecoveryWorkerInput,
  },
  actors: {
    /** Consumer-group catch-up and ledger load; rejects when the store is unreachable. */
    startup: fromPromise<void>(async () => {
      throw new Error('startup not provided');
    }),
    /** The back-fill loop; reports OUTAGE or FATAL through sendBack, stops when the state is left. */
    work: fromCallback<RecoveryWorkerEvent>(() => () => {}),
    /** Resolves once the dependency that failed answers again. */
    probe: fromPromise<void>(async () => {
      throw new Error('probe not provided');
    }),
  },
  actions: {
    reportState: (_, _params: ReportParams) => {},
    sendHeartbeat: () => {},
  },
  delays: {
    heartbeat: ({ context }) => context.heartbeatIntervalMs,
    probe: ({ context }) => context.probeIntervalMs,
  },
}).createMachine({
  id: 'recoveryWorker',
  initial: 'recovering',
  context: ({ input }) => ({ ...input, reason: 'starting', outages: 0 }),
  entry: ['sendHeartbeat', raise({ type: 'HEARTBEAT_TICK' }, { delay: 'heartbeat', id: 'heartbeat' })],
  on: {
    HEARTBEAT_TICK: {
      actions: ['sendHeartbeat', raise({ type: 'HEARTBEAT_TICK' }, { delay: 'heartbeat', id: 'heartbeat' })],
    },
    FATAL: { target: '.down', actions: assign({ reason: ({ event }) => event.reason }) },
  },
  states: {
    recovering: {
      entry: {
        type: 'reportState',
        params: () => ({ state: 'recovering', reason: 'catching up from stream and ledger' }),
      },
      invoke: {
        id: 'startup',
        src: 'startup',
        onDone: { target: 'healthy', actions: assign({ reason: 'caught up' }) },
        onError: {
          target: 'degraded',
          actions: assign({
            reason: ({ event }) =>
              `startup failed: ${event.error instanceof Error ? event.error.message : String(event.error)}`,
            outages: ({ context }) => context.outages + 1,
          }),
        },
      },
    },
    healthy: {
      entry: { type: 'reportState', params: ({ context }) => ({ state: 'healthy', reason: context.reason }) },
      invoke: { id: 'work', src: 'work' },
      on: {
        OUTAGE: {
          target: 'degraded',
          actions: assign({
            reason: ({ event }) => event.reason,
            outages: ({ context }) => context.outages + 1,
          }),
        },
      },
    },
    degraded: {
      entry: {
        type: 'reportState',
        params: ({ context }) => ({ state: 'degraded', reason: context.reason }),
      },
      // The first real request is the probe: if the dependency fails again the worker comes back here.
      on: {
        DEPENDENCY_UP: {
          target: '#recoveryWorker.recovering',
          actions: assign({ reason: 'dependency back' }),
        },
      },
      initial: 'waiting',
      states: {
        waiting: { after: { probe: 'probing' } },
        probing: {
          invoke: {
            id: 'probe',
            src: 'probe',
            onDone: {
              target: '#recoveryWorker.recovering',
              actions: assign({ reason: 'dependency answered' }),
            },
            onError: { target: 'waiting' },
          },
        },
      },
    },
    down: {
      entry: { type: 'reportState', params: ({ context }) => ({ state: 'down', reason: context.reason }) },
    },
  },
});

/** Top-level health state of a recovery worker snapshot. */
export function recoveryWorkerState(snapshot: { value: unknown }): HealthState {
  const v = snapshot.value;
  return (typeof v === 'string' ? v : Object.keys(v as object)[0]) as HealthState;
}
