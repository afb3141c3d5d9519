// The supervisor's health view of one component (DESIGN section 2): fed by heartbeats, mirrored
// states, platform exits/starts and probes; states healthy | degraded | down | recovering | failed.
// Every state change is reported to the parent (ref passed in input) as VIEW_CHANGED.
import { assign, enqueueActions, setup, type AnyActorRef } from 'xstate';
import type { ComponentKind } from './config.ts';
import type { DetectionParams } from './detection.ts';
import {
  initialFacts,
  judge,
  onExited,
  onFail,
  onHalted,
  onHeartbeat,
  onMirrored,
  onProbe,
  onRegistryRead,
  onReset,
  onResync,
  onStarted,
  onSuspicionDue,
  silenceDeadline,
  watchesSilence,
  type Verdict,
  type ViewFacts,
} from './healthVerdict.ts';
import type { HealthState, HeartbeatPayload, ViewState } from './types.ts';

export type HealthViewEvent =
  | { type: 'HEARTBEAT'; payload: HeartbeatPayload }
  | { type: 'STATE_MIRRORED'; state: HealthState; at: number }
  | { type: 'PROCESS_EXITED'; at: number; reason?: string }
  | { type: 'PROCESS_STARTED'; at: number }
  | { type: 'PROBE_OK'; at: number }
  | { type: 'PROBE_FAILED'; at: number; reason: string }
  /** The heartbeat registry was read at `at`; every beat it held was delivered before this. */
  | { type: 'REGISTRY_READ'; at: number }
  /** Sight regained after blindness (redis-main back): fresh detector history from `at`. */
  | { type: 'RESYNC'; at: number }
  | { type: 'RESTARTING'; at: number }
  | { type: 'RESTART_FAILED'; at: number; reason: string }
  | { type: 'FAIL'; at: number; reason: string }
  | { type: 'RESET'; at: number }
  | { type: 'SET_HALTED'; symbols: string[] }
  | { type: 'SUSPICION_DUE'; deadline: number };

/** Sent to the parent on every state change (and once on start, with `initial`). */
export interface ViewChangedEvent {
  type: 'VIEW_CHANGED';
  component: string;
  from: ViewState;
  to: ViewState;
  at: number;
  reason: string;
  initial: boolean;
}

export interface HealthViewInput {
  component: string;
  kind: ComponentKind;
  collector: boolean;
  params: DetectionParams;
  /** restart.windowMs: how long a failed component must stay alive before it leaves failed. */
  failedRecoveryMs: number;
  now: () => number;
  parent?: AnyActorRef;
  halted?: readonly string[];
}

export interface HealthViewContext {
  component: string;
  parent: AnyActorRef | undefined;
  now: () => number;
  facts: ViewFacts;
  verdict: Verdict;
  /** The state last reported (null before the first report). */
  current: ViewState | null;
  /** Deadline the suspicion timer is armed for. */
  armed: number | null;
}

export const VIEW_STATES: readonly ViewState[] = ['healthy', 'degraded', 'down', 'recovering', 'failed'];

function absorb(f: ViewFacts, e: HealthViewEvent, now: number): ViewFacts {
  switch (e.type) {
    case 'HEARTBEAT':
      return onHeartbeat(f, e.payload, now);
    case 'STATE_MIRRORED':
      return onMirrored(f, e.state, e.at);
    case 'PROCESS_EXITED':
      return f.kind === 'process' ? onExited(f, e.at, e.reason ?? 'exited') : f;
    case 'PROCESS_STARTED':
      return f.kind === 'process' ? onStarted(f, e.at, 'process started') : f;
    case 'RESTARTING':
      return f.kind === 'process' ? onStarted(f, e.at, 'restart ordered') : f;
    case 'RESTART_FAILED':
      return f.kind === 'process' ? onExited(f, e.at, `restart failed: ${e.reason}`) : f;
    case 'PROBE_OK':
      return f.kind === 'infrastructure' ? onProbe(f, true, 'probe ok') : f;
    case 'PROBE_FAILED':
      return f.kind === 'infrastructure' ? onProbe(f, false, e.reason) : f;
    case 'REGISTRY_READ':
      return onRegistryRead(f, e.at);
    case 'RESYNC':
      return onResync(f, e.at);
    case 'FAIL':
      return onFail(f, e.at, e.reason);
    case 'RESET':
      return onReset(f);
    case 'SET_HALTED':
      return onHalted(f, e.symbols, now);
    case 'SUSPICION_DUE':
      return onSuspicionDue(f, e.deadline);
    default:
      return f;
  }
}

const toVerdict = (except: ViewState | null) =>
  VIEW_STATES.filter((s) => s !== except).map((s) => ({
    guard: { type: 'verdictIs' as const, params: { state: s } },
    target: `#healthView.${s}`,
  }));

const viewState = (state: ViewState) => ({
  entry: { type: 'report' as const, params: { state } },
  always: toVerdict(state),
});

export const healthViewMachine = setup({
  types: {
    context: {} as HealthViewContext,
    events: {} as HealthViewEvent,
    input: {} as HealthViewInput,
  },
  guards: {
    verdictIs: ({ context }, params: { state: ViewState }) => context.verdict.state === params.state,
  },
  actions: {
    absorb: assign(({ context, event }) => {
      const facts = absorb(context.facts, event, context.now());
      return facts === context.facts ? {} : { facts, verdict: judge(facts) };
    }),
    /** One timer per change of the deadline (in practice: per heartbeat), never polling. */
    rearm: enqueueActions(({ context, enqueue }) => {
      const deadline = watchesSilence(context.facts) ? silenceDeadline(context.facts) : null;
      if (deadline === context.armed) return;
      enqueue.cancel('suspicion');
      if (deadline !== null) {
        enqueue.raise(
          { type: 'SUSPICION_DUE', deadline },
          { delay: Math.max(0, deadline - context.now()), id: 'suspicion' },
        );
      }
      enqueue.assign({ armed: deadline });
    }),
    report: enqueueActions(({ context, enqueue }, params: { state: ViewState }) => {
      if (context.parent) {
        const changed: ViewChangedEvent = {
          type: 'VIEW_CHANGED',
          component: context.component,
          from: context.current ?? params.state,
          to: params.state,
          at: context.now(),
          reason: context.verdict.reason,
          initial: context.current === null,
        };
        enqueue.sendTo(context.parent, changed);
      }
      enqueue.assign({ current: params.state });
    }),
  },
}).createMachine({
  id: 'healthView',
  context: ({ input }) => {
    const facts = initialFacts({ ...input, startedAt: input.now() });
    return {
      component: input.component,
      parent: input.parent,
      now: input.now,
      facts,
      verdict: judge(facts),
      current: null,
      armed: null,
    };
  },
  initial: 'init',
  on: {
    '*': { actions: ['absorb', 'rearm'] },
  },
  states: {
    init: { entry: 'rearm', always: toVerdict(null) },
    healthy: viewState('healthy'),
    degraded: viewState('degraded'),
    down: viewState('down'),
    recovering: viewState('recovering'),
    failed: viewState('failed'),
  },
});
