// The supervisor machine (DESIGN sections 1, 2, 5, 7): one health view per component, restarts in
// dependency order with back-off and an intensity limit, fallbacks (gatekeeper local mode; blind to
// heartbeats while the registry is unreachable), coverage events. Decisions are pure functions of
// supervisorCore/Handlers/Restarts; effects are the injected `publish`, `mirror`, `restartComponent`.
import { assign, enqueueActions, fromPromise, setup, stopChild, type AnyActorRef } from 'xstate';
import { detectionParams } from './detection.ts';
import { TgError, isTgError } from './errors.ts';
import { healthViewMachine, type HealthViewEvent } from './healthView.ts';
import { createCore, gatekeeperModeStep, processComponents, type SupervisorCore } from './supervisorCore.ts';
import { routeEvent, type ActorEvent } from './supervisorRouter.ts';
import type { MirrorWrite, SupervisorEvent, SupervisorInput } from './supervisorTypes.ts';
import type { TgEvent } from './types.ts';

export interface SupervisorContext {
  core: SupervisorCore;
  /** Why the machine is `misconfigured` (null otherwise). */
  error: { code: string; message: string } | null;
  now: () => number;
  random: () => number;
  halted: string[];
  /** Start of the current blindness: only a registry read issued after it restores sight. */
  blindSince: number;
}

function initialContext(input: SupervisorInput): SupervisorContext {
  const base = {
    now: input.now,
    random: input.random,
    halted: [...(input.halted ?? [])],
    blindSince: input.now(),
  };
  try {
    return { ...base, core: createCore(input), error: null };
  } catch (e) {
    const code = isTgError(e) ? e.code : 'TG_ERR_CONFIG';
    const message = e instanceof Error ? e.message : String(e);
    // A placeholder core so the context keeps its shape; `misconfigured` never uses it.
    return { ...base, core: createCore({ ...input, config: {}, coverage: {} }), error: { code, message } };
  }
}

const base = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as SupervisorInput,
  },
  actors: {
    healthView: healthViewMachine,
    /** ProcessControl.restart(component); rejects when the platform refuses. */
    restartComponent: fromPromise<void, { component: string }>(async ({ input }) => {
      throw new TgError(
        'TG_ERR_INTERNAL',
        `restartComponent not provided (asked to restart ${input.component})`,
      );
    }),
  },
  actions: {
    /** Append to the event bus (the assembly keeps an outbox so nothing is lost while redis-main is down). */
    publish: (_, _params: { event: TgEvent }) => {},
    /** Write a view's state to the StateMirror. */
    mirror: (_, _params: MirrorWrite) => {},
    spawnView: enqueueActions(({ context, enqueue, self }, params: { component: string }) => {
      const core = context.core;
      const traits = core.traits[params.component];
      enqueue.spawnChild('healthView', {
        id: params.component,
        input: {
          component: params.component,
          kind: traits.kind,
          collector: traits.collector,
          params: detectionParams(core.config),
          failedRecoveryMs: core.config.restart.windowMs,
          now: context.now,
          parent: self as AnyActorRef,
          halted: context.halted,
        },
      });
    }),
    broadcast: enqueueActions(({ context, enqueue }, params: { event: HealthViewEvent }) => {
      for (const id of processComponents(context.core)) enqueue.sendTo(id, params.event);
    }),
    watchInfrastructure: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'VIEW_CHANGED') return;
      if (event.component === 'redis-gatekeeper')
        enqueue.raise({ type: 'GATEKEEPER_STORE', healthy: event.to === 'healthy' });
      if (event.component === 'redis-main' && (event.to === 'down' || event.to === 'failed')) {
        enqueue.raise({ type: 'REDIS_MAIN_LOST' });
      }
    }),
  },
  guards: {
    misconfigured: ({ context }) => context.error !== null,
    isViewError: ({ context, event }) => {
      const id = (event as ActorEvent).actorId;
      return !!id && id in context.core.traits && !(id in context.core.restartActors);
    },
    readAfterBlindness: ({ context, event }) =>
      event.type === 'REGISTRY_READ' && event.at >= context.blindSince,
    storeHealthy: ({ event }) => event.type === 'GATEKEEPER_STORE' && event.healthy,
    storeUnhealthy: ({ event }) => event.type === 'GATEKEEPER_STORE' && !event.healthy,
  },
});

const apply = base.enqueueActions(({ context, event, enqueue }) => {
  const { core, effects } = routeEvent(context.core, event, context.now(), context.random);
  if (core !== context.core) enqueue.assign({ core });
  for (const fx of effects) {
    if (fx.kind === 'publish') enqueue({ type: 'publish', params: { event: fx.event } });
    else if (fx.kind === 'mirror') enqueue({ type: 'mirror', params: fx.write });
    else if (fx.kind === 'toView') enqueue.sendTo(fx.component, fx.event);
    else if (fx.kind === 'schedule') {
      enqueue.raise({ type: 'RESTART_DUE', component: fx.component, token: fx.token }, { delay: fx.delayMs });
    } else enqueue.spawnChild('restartComponent', { id: fx.actorId, input: { component: fx.component } });
  }
  const ev = event as ActorEvent;
  if (
    ev.actorId &&
    /^xstate\.(done|error)\.actor\./.test(ev.type) &&
    ev.actorId in context.core.restartActors
  ) {
    enqueue(stopChild(ev.actorId));
  }
});
const spawnViews = base.enqueueActions(({ context, enqueue }) => {
  for (const component of context.core.graph.order) enqueue({ type: 'spawnView', params: { component } });
});
/** A view that crashed is replaced by a fresh one (it re-learns from the next beats and probes). */
const replaceView = base.enqueueActions(({ context, event, enqueue }) => {
  const id = (event as ActorEvent).actorId;
  if (!id || !(id in context.core.traits)) return;
  enqueue(stopChild(id));
  enqueue({ type: 'spawnView', params: { component: id } });
});
const announceMode = (mode: 'global' | 'local') =>
  base.enqueueActions(({ context, enqueue }) => {
    const { core, effects } = gatekeeperModeStep(context.core, mode, context.now());
    enqueue.assign({ core });
    for (const fx of effects)
      if (fx.kind === 'publish') enqueue({ type: 'publish', params: { event: fx.event } });
  });

export const supervisorMachine = base
  .extend({
    actions: {
      apply,
      spawnViews,
      replaceView,
      announceLocal: announceMode('local'),
      announceGlobal: announceMode('global'),
    },
  })
  .createMachine({
    id: 'supervisor',
    context: ({ input }) => initialContext(input),
    initial: 'checking',
    on: {
      // Children never take the supervisor down: a restart failure is a fact, a view crash is replaced.
      'xstate.error.actor.*': [{ guard: 'isViewError', actions: 'replaceView' }, { actions: 'apply' }],
      'xstate.done.actor.*': { actions: 'apply' },
    },
    states: {
      checking: {
        always: [{ guard: 'misconfigured', target: 'misconfigured' }, { target: 'running' }],
      },
      misconfigured: {},
      running: {
        type: 'parallel',
        entry: 'spawnViews',
        on: {
          HEARTBEAT: { actions: 'apply' },
          STATE_MIRRORED: { actions: 'apply' },
          PROCESS_EXITED: { actions: 'apply' },
          PROCESS_STARTED: { actions: 'apply' },
          PROBE_OK: { actions: 'apply' },
          PROBE_FAILED: { actions: 'apply' },
          VIEW_CHANGED: { actions: ['apply', 'watchInfrastructure'] },
          RESTART_DUE: { actions: 'apply' },
          RESET: { actions: 'apply' },
          SEED_GAPS: { actions: 'apply' },
          SET_HALTED: { actions: ['apply', assign({ halted: ({ event }) => [...event.symbols] })] },
        },
        states: {
          heartbeats: {
            initial: 'blind',
            states: {
              /** Missing beats prove nothing: only exits and probes count until the registry answers. */
              blind: {
                entry: assign({ blindSince: ({ context }) => context.now() }),
                on: {
                  REGISTRY_READ: {
                    guard: 'readAfterBlindness',
                    target: 'sighted',
                    actions: {
                      type: 'broadcast',
                      params: ({ event }) => ({ event: { type: 'RESYNC', at: event.at } }),
                    },
                  },
                },
              },
              sighted: {
                on: {
                  REGISTRY_READ: {
                    actions: {
                      type: 'broadcast',
                      params: ({ event }) => ({ event: { type: 'REGISTRY_READ', at: event.at } }),
                    },
                  },
                  REGISTRY_UNREACHABLE: 'blind',
                  REDIS_MAIN_LOST: 'blind',
                },
              },
            },
          },
          gatekeeper: {
            initial: 'global',
            states: {
              global: {
                on: {
                  GATEKEEPER_STORE: {
                    guard: 'storeUnhealthy',
                    target: 'local',
                    actions: 'announceLocal',
                  },
                },
              },
              local: {
                on: {
                  GATEKEEPER_STORE: {
                    guard: 'storeHealthy',
                    target: 'global',
                    actions: 'announceGlobal',
                  },
                },
              },
            },
          },
        },
      },
    },
  });
