// The writer's control machine: recovering (claim what a dead writer left pending) -> healthy (the
// drain loop moves the tick buffer into the store); degraded while redis-main or timescaledb is
// unreachable (retry with back-off, nothing dropped, nothing acked unstored); down on an error that
// retrying cannot fix. Polling lives in the assembly's drain loop so a trading day costs no event
// per poll; the machine hears only failures and the outcome of its own startup and retry passes.
import { assign, fromCallback, fromPromise, raise, setup } from 'xstate';
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { TgError, isTgError, type TgErrorCode } from './errors.ts';
import type { HealthState } from './types.ts';

export interface WriterInput {
  name: string;
  heartbeatIntervalMs: number;
  /** Wait between reads while the buffer is empty (used by the drain loop). */
  pollIntervalMs: number;
  /** How often (and after how much idle time) other consumers' pending entries are claimed. */
  claimIntervalMs: number;
  retry: BackoffPolicy;
  /** In [0, 1); the only source of jitter. */
  random: () => number;
}

/** What one drain pass should do besides reading new entries. */
export interface DrainRequest {
  /** Claim entries pending at least this long (0 at start: every pending entry is a dead writer's). */
  claimMinIdleMs: number | null;
}

export interface DrainOutcome {
  /** Entries stored and acked in this pass. */
  entries: number;
  ticks: number;
  /** More is probably waiting: drain again at once. */
  more: boolean;
  /** The claim (if requested) found nothing more to take over. */
  claimedAll: boolean;
}

export interface DrainLoopInput {
  pollIntervalMs: number;
  claimIntervalMs: number;
}

export interface WriterContext {
  name: string;
  heartbeatIntervalMs: number;
  pollIntervalMs: number;
  claimIntervalMs: number;
  retry: BackoffPolicy;
  random: () => number;
  health: HealthState;
  detail: string;
  reason: string;
  /** Until the startup claim completed, every pending entry is a dead writer's: claim with idle 0. */
  startupClaimed: boolean;
  retryAttempt: number;
  retryDelayMs: number;
}

export type WriterEvent =
  | { type: 'heartbeat.tick' }
  /** From the drain loop: a pass failed (the loop has stopped polling). */
  | { type: 'drain.failed'; error: unknown }
  /** Leave `down` (an operator or a test; the supervisor restarts the process instead). */
  | { type: 'writer.retry' };

export interface ReportStateParams {
  state: HealthState;
  detail: string;
}

/** Failures that end by themselves (a dependency unreachable or slow): wait and retry. */
const RETRYABLE: TgErrorCode[] = ['TG_ERR_DEP_DOWN', 'TG_ERR_TIMEOUT', 'TG_ERR_STORE'];

export function isRetryable(error: unknown): boolean {
  return isTgError(error) && RETRYABLE.includes(error.code);
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

function enter(state: HealthState, detail: string) {
  return [
    { type: 'enterState', params: { state, detail } },
    { type: 'reportState', params: { state, detail } },
  ] as const;
}

const onFailure = [
  { guard: 'retryable', target: '#writer.degraded', actions: 'noteFailure' },
  { target: '#writer.down', actions: 'noteFailure' },
] as const;

export const writerMachine = setup({
  types: {
    context: {} as WriterContext,
    events: {} as WriterEvent,
    input: {} as WriterInput,
  },
  actors: {
    drain: fromPromise<DrainOutcome, DrainRequest>(async () => {
      throw new TgError('TG_ERR_INTERNAL', "writer actor 'drain' was not provided");
    }),
    drainLoop: fromCallback<WriterEvent, DrainLoopInput>(({ sendBack }) => {
      sendBack({
        type: 'drain.failed',
        error: new TgError('TG_ERR_INTERNAL', "writer actor 'drainLoop' was not provided"),
      });
    }),
  },
  actions: {
    sendHeartbeat: () => {},
    reportState: (_, _params: ReportStateParams) => {},
    enterState: assign((_, params: ReportStateParams) => ({ health: params.state, detail: params.detail })),
    scheduleHeartbeat: raise(
      { type: 'heartbeat.tick' },
      { id: 'heartbeat', delay: ({ context }) => context.heartbeatIntervalMs },
    ),
    noteFailure: assign(({ event }) => ({
      reason: 'error' in event ? `drain failed: ${errorText(event.error)}` : 'drain failed',
    })),
  },
  delays: {
    retryDelay: ({ context }) => context.retryDelayMs,
  },
  guards: {
    retryable: ({ event }) => 'error' in event && isRetryable(event.error),
  },
}).createMachine({
  id: 'writer',
  context: ({ input }) => ({
    name: input.name,
    heartbeatIntervalMs: input.heartbeatIntervalMs,
    pollIntervalMs: input.pollIntervalMs,
    claimIntervalMs: input.claimIntervalMs,
    retry: input.retry,
    random: input.random,
    health: 'recovering',
    detail: 'recovering',
    reason: 'started',
    startupClaimed: false,
    retryAttempt: 0,
    retryDelayMs: 0,
  }),
  entry: ['sendHeartbeat', 'scheduleHeartbeat'],
  on: {
    'heartbeat.tick': { actions: ['sendHeartbeat', 'scheduleHeartbeat'] },
  },
  initial: 'recovering',
  states: {
    recovering: {
      entry: enter('recovering', 'recovering'),
      initial: 'claiming',
      states: {
        claiming: {
          invoke: {
            id: 'drain',
            src: 'drain',
            input: () => ({ claimMinIdleMs: 0 }),
            onDone: [
              { guard: ({ event }) => !event.output.claimedAll, target: 'claiming', reenter: true },
              {
                target: '#writer.healthy',
                actions: assign({ startupClaimed: true, reason: 'claimed pending entries' }),
              },
            ],
            onError: onFailure,
          },
        },
      },
    },
    healthy: {
      entry: [...enter('healthy', 'healthy'), assign({ retryAttempt: 0 })],
      invoke: {
        id: 'drainLoop',
        src: 'drainLoop',
        input: ({ context }) => ({
          pollIntervalMs: context.pollIntervalMs,
          claimIntervalMs: context.claimIntervalMs,
        }),
        onError: { target: 'down', actions: 'noteFailure' },
      },
      on: { 'drain.failed': onFailure },
    },
    degraded: {
      entry: enter('degraded', 'degraded'),
      initial: 'waiting',
      states: {
        waiting: {
          entry: assign(({ context }) => ({
            retryDelayMs: backoffDelay(context.retryAttempt, context.retry, context.random()),
            retryAttempt: context.retryAttempt + 1,
          })),
          after: { retryDelay: 'retrying' },
        },
        retrying: {
          invoke: {
            id: 'drain',
            src: 'drain',
            input: ({ context }) => ({ claimMinIdleMs: context.startupClaimed ? null : 0 }),
            onDone: [
              // A startup claim that failed half-way is finished in `recovering`.
              {
                guard: ({ context, event }) => !context.startupClaimed && !event.output.claimedAll,
                target: '#writer.recovering',
                actions: assign({ reason: 'dependencies reachable again' }),
              },
              {
                target: '#writer.healthy',
                actions: assign({ startupClaimed: true, reason: 'dependencies reachable again' }),
              },
            ],
            onError: [
              { guard: 'retryable', target: 'waiting', actions: 'noteFailure' },
              { target: '#writer.down', actions: 'noteFailure' },
            ],
          },
        },
      },
    },
    down: {
      entry: enter('down', 'down'),
      on: { 'writer.retry': { target: 'recovering', actions: assign({ reason: 'retry requested' }) } },
    },
  },
});
