// The collector's control machine: recovering (connect, subscribe under the session cap) -> healthy;
// degraded.spooling while the tick buffer is unreachable, degraded.stalled when a live feed goes
// silent in session hours; down when the broker WebSocket is lost, then reconnect with back-off.
// Ticks never pass through here: the assembly moves data and sends control events only.
import { assign, fromPromise, raise, setup } from 'xstate';
import {
  OVER_SESSION_CAP,
  initialCollectorContext,
  isStalled,
  type CollectorContext,
  type CollectorEvent,
  type CollectorInput,
  type ReportStateParams,
  type SubscribeOutcome,
} from './collectorContext.ts';
import { backoffDelay } from './backoff.ts';
import { TgError } from './errors.ts';
import type { HealthState } from './types.ts';

export * from './collectorContext.ts';

function notProvided(what: string): never {
  throw new TgError('TG_ERR_INTERNAL', `collector actor '${what}' was not provided`);
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Entry actions of a reported state: remember it (for heartbeats), then report it. */
function enter(state: HealthState, detail: string) {
  return [
    { type: 'enterState', params: { state, detail } },
    { type: 'reportState', params: { state, detail } },
  ] as const;
}

export const collectorMachine = setup({
  types: {
    context: {} as CollectorContext,
    events: {} as CollectorEvent,
    input: {} as CollectorInput,
  },
  actors: {
    connectBroker: fromPromise<void, void>(async () => notProvided('connectBroker')),
    subscribeSymbols: fromPromise<SubscribeOutcome, { symbols: string[] }>(async () =>
      notProvided('subscribeSymbols'),
    ),
    replaySpool: fromPromise<void, void>(async () => notProvided('replaySpool')),
  },
  actions: {
    /** Provided by the assembly: beat with `collectorHeartbeat(context, ...)`. */
    sendHeartbeat: () => {},
    /** Provided by the assembly: mirror the state (reason in context.reason). */
    reportState: (_, _params: ReportStateParams) => {},
    enterState: assign((_, params: ReportStateParams) => ({ health: params.state, detail: params.detail })),
    scheduleHeartbeat: raise(
      { type: 'heartbeat.tick' },
      { id: 'heartbeat', delay: ({ context }) => context.heartbeatIntervalMs },
    ),
    measureSilence: raise(({ context }) => ({
      type: 'stall.check' as const,
      at: context.now(),
      lastReceivedAt: context.lastReceivedAt(),
    })),
    noteSubscribed: assign(({ context }, output: SubscribeOutcome) => {
      const rejected: Record<string, string> = {};
      for (const s of context.symbols.slice(context.sessionCap)) rejected[s] = OVER_SESSION_CAP;
      Object.assign(rejected, output.rejected);
      const at = context.now();
      return {
        subscribed: [...output.accepted],
        rejected,
        subscribedAt: at,
        liveSince: at,
        reconnectAttempt: 0,
        reason: `subscribed ${output.accepted.length}/${context.symbols.length}, rejected ${Object.keys(rejected).length}`,
      };
    }),
    markBufferFailed: assign(({ event }) => ({
      bufferOk: false,
      reason: event.type === 'buffer.failed' ? `buffer failed: ${event.reason}` : 'buffer failed',
    })),
  },
  delays: {
    reconnectDelay: ({ context }) => context.reconnectDelayMs,
    replayDelay: ({ context }) => context.replayDelayMs,
  },
  guards: {
    bufferOk: ({ context }) => context.bufferOk,
    stalled: ({ context, event }) => event.type === 'stall.check' && isStalled(context, event, 0.5),
    stalledTooLong: ({ context, event }) => event.type === 'stall.check' && isStalled(context, event, 1),
  },
}).createMachine({
  id: 'collector',
  context: ({ input }) => initialCollectorContext(input),
  entry: ['sendHeartbeat', 'scheduleHeartbeat'],
  on: {
    // Each beat also measures silence: stall detection needs no timer of its own.
    'heartbeat.tick': { actions: ['sendHeartbeat', 'measureSilence', 'scheduleHeartbeat'] },
    'buffer.failed': { actions: 'markBufferFailed' },
  },
  initial: 'recovering',
  states: {
    recovering: {
      entry: enter('recovering', 'recovering'),
      on: {
        'broker.closed': {
          target: 'down',
          actions: assign(({ event }) => ({
            brokerConnected: false,
            reason: `broker closed: ${event.reason}`,
          })),
        },
      },
      initial: 'connecting',
      states: {
        connecting: {
          invoke: {
            id: 'connect',
            src: 'connectBroker',
            onDone: { target: 'subscribing', actions: assign({ brokerConnected: true }) },
            onError: {
              target: '#collector.down',
              actions: assign(({ event }) => ({ reason: `connect failed: ${errorText(event.error)}` })),
            },
          },
        },
        subscribing: {
          invoke: {
            id: 'subscribe',
            src: 'subscribeSymbols',
            input: ({ context }) => ({ symbols: context.symbols.slice(0, context.sessionCap) }),
            // Ticks spooled while we were away must be replayed before the collector calls itself healthy.
            onDone: [
              {
                guard: 'bufferOk',
                target: '#collector.healthy',
                actions: { type: 'noteSubscribed', params: ({ event }) => event.output },
              },
              {
                target: '#collector.degraded.spooling',
                actions: { type: 'noteSubscribed', params: ({ event }) => event.output },
              },
            ],
            onError: {
              target: '#collector.down',
              actions: assign(({ event }) => ({ reason: `subscribe failed: ${errorText(event.error)}` })),
            },
          },
        },
      },
    },
    healthy: {
      entry: enter('healthy', 'healthy'),
      on: {
        'broker.closed': {
          target: 'down',
          actions: assign(({ event }) => ({
            brokerConnected: false,
            reason: `broker closed: ${event.reason}`,
          })),
        },
        'buffer.failed': { target: 'degraded.spooling', actions: 'markBufferFailed' },
        'stall.check': {
          guard: 'stalled',
          target: 'degraded.stalled',
          actions: assign(({ context }) => ({
            reason: `no ticks for ${context.stallTimeoutMs / 2} ms in session`,
          })),
        },
      },
    },
    degraded: {
      on: {
        'broker.closed': {
          target: 'down',
          actions: assign(({ event }) => ({
            brokerConnected: false,
            reason: `broker closed: ${event.reason}`,
          })),
        },
      },
      initial: 'spooling',
      states: {
        spooling: {
          entry: enter('degraded', 'degraded.spooling'),
          initial: 'waiting',
          states: {
            waiting: {
              entry: assign(({ context }) => ({
                replayDelayMs: backoffDelay(context.replayAttempt, context.reconnect, context.random()),
              })),
              after: { replayDelay: 'replaying' },
            },
            replaying: {
              invoke: {
                id: 'replay',
                src: 'replaySpool',
                onDone: {
                  target: '#collector.healthy',
                  actions: assign({ bufferOk: true, replayAttempt: 0, reason: 'spool replayed' }),
                },
                onError: {
                  target: 'waiting',
                  actions: assign(({ context }) => ({ replayAttempt: context.replayAttempt + 1 })),
                },
              },
            },
          },
        },
        stalled: {
          entry: enter('degraded', 'degraded.stalled'),
          on: {
            'buffer.failed': { target: 'spooling', actions: 'markBufferFailed' },
            'stall.check': [
              {
                guard: 'stalledTooLong',
                target: '#collector.down',
                actions: assign({ reason: 'stalled: reconnecting' }),
              },
              {
                guard: ({ context, event }) => !isStalled(context, event, 0.5),
                target: '#collector.healthy',
                actions: assign({ reason: 'ticks resumed' }),
              },
            ],
          },
        },
      },
    },
    down: {
      entry: [
        assign(({ context }) => ({
          brokerConnected: false,
          liveSince: undefined,
          reconnectDelayMs: backoffDelay(context.reconnectAttempt, context.reconnect, context.random()),
          reconnectAttempt: context.reconnectAttempt + 1,
        })),
        ...enter('down', 'down'),
      ],
      after: { reconnectDelay: 'recovering' },
    },
  },
});
